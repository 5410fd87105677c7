"""Control totals of sync runs, the sources' own totals beside them, and the measures of
reconcile runs (match rate, discrepancy rate, open findings) kept for their trend.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _run_id(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f(f"fk_{table}_run_id_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "run_totals", *_run_id("run_totals"),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("read_minor", sa.BigInteger(), nullable=False),
        sa.Column("stored_count", sa.Integer(), nullable=False),
        sa.Column("stored_minor", sa.BigInteger(), nullable=False),
        sa.Column("quarantined_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("run_id", "entity", "currency",
                            name=op.f("uq_run_totals_run_id_entity_currency")),
    )
    op.create_table(
        "run_controls", *_run_id("run_controls"),
        sa.Column("connector", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("covers", sa.String(length=10), nullable=False),
        sa.Column("stated_count", sa.Integer(), nullable=True),
        sa.Column("held_count", sa.Integer(), nullable=True),
        sa.Column("quarantined_count", sa.Integer(), nullable=False),
        sa.Column("sums", sa.Text(), nullable=False),
        sa.Column("short", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_run_controls_connector_entity", "run_controls",
                    ["connector", "entity", "run_id"])
    op.create_table(
        "reconcile_measures", *_run_id("reconcile_measures"),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cash_minor", sa.BigInteger(), nullable=False),
        sa.Column("applied_minor", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("open_findings", sa.Integer(), nullable=False),
        sa.UniqueConstraint("run_id", "currency",
                            name=op.f("uq_reconcile_measures_run_id_currency")),
    )
    op.create_table(
        "reconcile_open_findings", *_run_id("reconcile_open_findings"),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("money_minor", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("run_id", "kind", "currency",
                            name=op.f("uq_reconcile_open_findings_run_id_kind_currency")),
    )


def downgrade() -> None:
    op.drop_table("reconcile_open_findings")
    op.drop_table("reconcile_measures")
    op.drop_index("ix_run_controls_connector_entity", table_name="run_controls")
    op.drop_table("run_controls")
    op.drop_table("run_totals")
