"""Invoices sent to their customers, once each (``billing-hub invoices send``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "invoice_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("invoice_external_id", sa.String(length=500), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("invoice_number", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=200), nullable=False),
        sa.Column("to_address", sa.String(length=500), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("started_at", ts, nullable=False),
        sa.Column("sent_at", ts, nullable=True),
        sa.Column("delivered_at", ts, nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["records.id"],
                                name=op.f("fk_invoice_sends_invoice_id_records"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_sends")),
        sa.UniqueConstraint("key", name=op.f("uq_invoice_sends_key")),
        sa.UniqueConstraint("source", "invoice_external_id",
                            name=op.f("uq_invoice_sends_source_invoice_external_id")),
    )
    op.create_index("ix_invoice_sends_status", "invoice_sends", ["status"])


def downgrade() -> None:
    op.drop_index("ix_invoice_sends_status", table_name="invoice_sends")
    op.drop_table("invoice_sends")
