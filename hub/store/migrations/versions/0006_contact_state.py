"""Contact state: disputes, promises to pay, contact blocks and each customer's history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=False),
        sa.Column("customer", sa.String(length=700), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("opened_at", ts, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("source", "external_id",
                            name=op.f("uq_disputes_source_external_id")),
    )
    op.create_index("ix_disputes_customer_status", "disputes", ["customer", "status"])
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=False),
        sa.Column("customer", sa.String(length=700), nullable=True),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), server_default="{}", nullable=False),
        sa.Column("made_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises")),
        sa.UniqueConstraint("source", "external_id",
                            name=op.f("uq_promises_source_external_id")),
    )
    op.create_index("ix_promises_customer", "promises", ["customer", "promised_date"])
    op.create_table(
        "contact_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=700), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=700), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("lifted_at", ts, nullable=True),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_blocks")),
        sa.UniqueConstraint("kind", "origin", name=op.f("uq_contact_blocks_kind_origin")),
    )
    op.create_index("ix_contact_blocks_customer", "contact_blocks", ["customer", "kind"])
    op.create_index("ix_contact_blocks_address", "contact_blocks", ["address"])
    op.create_table(
        "contact_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=700), nullable=True),
        sa.Column("at", ts, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), server_default="{}", nullable=False),
        sa.Column("ref", sa.String(length=700), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("open", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_events")),
        sa.UniqueConstraint("ref", name=op.f("uq_contact_events_ref")),
    )
    op.create_index("ix_contact_events_customer_at", "contact_events", ["customer", "at"])


def downgrade() -> None:
    op.drop_index("ix_contact_events_customer_at", table_name="contact_events")
    op.drop_table("contact_events")
    op.drop_index("ix_contact_blocks_address", table_name="contact_blocks")
    op.drop_index("ix_contact_blocks_customer", table_name="contact_blocks")
    op.drop_table("contact_blocks")
    op.drop_index("ix_promises_customer", table_name="promises")
    op.drop_table("promises")
    op.drop_index("ix_disputes_customer_status", table_name="disputes")
    op.drop_table("disputes")
