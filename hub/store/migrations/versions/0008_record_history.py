"""The history of every record's and finding's state, for reading the store as of a date.

Records and findings already stored get one row each holding their present state:
a live record as learned when it was last written (``updated_at``), a deleted one as
deleted when it was (``deleted_at``), a finding as of its resolution or last sighting.
The states before the upgrade were never kept, so a reading as of an earlier date
sees only these.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STATE = ("content_hash", "data", "number", "party", "customer_ref", "currency", "amount_minor",
          "open_minor", "status", "doc_date", "due_date", "source_modified")
_FINDING = ("status", "kind", "severity", "record_ids", "customer", "currency",
            "money_at_stake_minor", "explanation", "details", "note", "actor", "resolved_at")


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("learned_at", ts, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=True),
        sa.Column("party", sa.String(length=500), nullable=True),
        sa.Column("customer_ref", sa.String(length=500), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("open_minor", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("source_modified", ts, nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_record_history_record_id_records"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"],
                                name=op.f("fk_record_history_run_id_runs"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_history")),
    )
    op.create_index("ix_record_history_record", "record_history", ["record_id", "learned_at"])
    op.create_index("ix_record_history_learned", "record_history", ["learned_at"])
    op.create_table(
        "finding_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("at", ts, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.Column("customer", sa.String(length=500), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("money_at_stake_minor", sa.BigInteger(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", ts, nullable=True),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"],
                                name=op.f("fk_finding_history_finding_id_findings"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_history")),
    )
    op.create_index("ix_finding_history_finding", "finding_history", ["finding_id", "at"])
    op.create_index("ix_finding_history_at", "finding_history", ["at"])
    state = ", ".join(_STATE)
    op.execute(
        f"INSERT INTO record_history (record_id, change, learned_at, run_id, {state}) "
        f"SELECT id, 'known', updated_at, last_run_id, {state} FROM records "
        "WHERE deleted_at IS NULL")
    op.execute(
        f"INSERT INTO record_history (record_id, change, learned_at, run_id, {state}) "
        f"SELECT id, 'deleted', deleted_at, last_run_id, {state} FROM records "
        "WHERE deleted_at IS NOT NULL")
    finding = ", ".join(_FINDING)
    op.execute(
        f"INSERT INTO finding_history (finding_id, at, {finding}) "
        f"SELECT id, COALESCE(resolved_at, last_seen_at), {finding} FROM findings")


def downgrade() -> None:
    op.drop_index("ix_finding_history_at", table_name="finding_history")
    op.drop_index("ix_finding_history_finding", table_name="finding_history")
    op.drop_table("finding_history")
    op.drop_index("ix_record_history_learned", table_name="record_history")
    op.drop_index("ix_record_history_record", table_name="record_history")
    op.drop_table("record_history")
