"""Payer aliases learned when a coordinator confirms a payment, or added by hand.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "payer_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("name_key", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", ts, nullable=False),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.Column("removed_at", ts, nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["records.id"],
                                name=op.f("fk_payer_aliases_customer_id_records"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_aliases")),
    )
    op.create_index("ix_payer_aliases_customer", "payer_aliases", ["customer_id", "name_key"])


def downgrade() -> None:
    op.drop_index("ix_payer_aliases_customer", table_name="payer_aliases")
    op.drop_table("payer_aliases")
