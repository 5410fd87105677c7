"""Reminders say whom they contact and which rule holds them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("customer", sa.String(length=700), nullable=True))
        batch.add_column(sa.Column("hold_rule", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_reminders_customer", "reminders", ["customer"])


def downgrade() -> None:
    op.drop_index("ix_reminders_customer", table_name="reminders")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("held_at")
        batch.drop_column("hold_rule")
        batch.drop_column("customer")
