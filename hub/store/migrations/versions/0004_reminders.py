"""Payment reminders sent by ``billing-hub collect``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("invoice_external_id", sa.String(length=500), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("invoice_number", sa.String(length=200), nullable=False),
        sa.Column("stage_days", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("mailer", sa.String(length=200), nullable=False),
        sa.Column("to_address", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("server_reply", sa.Text(), nullable=True),
        sa.Column("queued_at", ts, nullable=False),
        sa.Column("sending_at", ts, nullable=True),
        sa.Column("sent_at", ts, nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["records.id"],
                                name=op.f("fk_reminders_invoice_id_records"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("key", name=op.f("uq_reminders_key")),
    )
    op.create_index("ix_reminders_invoice", "reminders", ["source", "invoice_external_id"])
    op.create_index("ix_reminders_status", "reminders", ["status"])


def downgrade() -> None:
    op.drop_index("ix_reminders_status", table_name="reminders")
    op.drop_index("ix_reminders_invoice", table_name="reminders")
    op.drop_table("reminders")
