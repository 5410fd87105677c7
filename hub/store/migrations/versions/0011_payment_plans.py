"""Payment plans a coordinator agreed, and the invoices each covers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("external_id", sa.String(500), nullable=False),
        sa.Column("customer", sa.String(700)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("agreed_at", TS, nullable=False),
        sa.Column("agreed_by", sa.String(200), nullable=False),
        sa.Column("cancelled_at", TS),
        sa.Column("cancelled_by", sa.String(200)),
        sa.UniqueConstraint("source", "external_id"),
    )
    op.create_index("ix_payment_plans_customer", "payment_plans", ["customer"])
    op.create_table(
        "payment_plan_invoices",
        sa.Column("plan_id", sa.Integer,
                  sa.ForeignKey("payment_plans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("invoice", sa.String(800), primary_key=True),
    )
    op.create_index("ix_payment_plan_invoices_invoice", "payment_plan_invoices", ["invoice"])


def downgrade() -> None:
    op.drop_index("ix_payment_plan_invoices_invoice", table_name="payment_plan_invoices")
    op.drop_table("payment_plan_invoices")
    op.drop_index("ix_payment_plans_customer", table_name="payment_plans")
    op.drop_table("payment_plans")
