"""A CSV sync SIGKILLed at random points (a real process, again and again) ends with
the store an uninterrupted sync gives: nothing lost, nothing stored twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.store import open_store
from hub.store.schema import cursors
from tests.support.hub import write_config
from tests.support.kills import (
    KillPlan,
    another_store,
    assert_same_store,
    migrated,
    reference_run,
    store_state,
)

pytestmark = pytest.mark.slow

SYNCED = (exits.OK, exits.QUARANTINED)
"""A sync's exit codes when it did its work: two rows wait in quarantine."""

ROWS = 40
BODY = """
[connectors.books]
type = "csv"
page_size = 4

[[connectors.books.files]]
path = "invoices.csv"
preset = "quickbooks-invoices"
defaults = { currency = "USD" }
"""


def _write_invoices(path: Path) -> None:
    lines = ["Date,No.,Customer,Due Date,Amount,Open Balance,Status"]
    for i in range(1, ROWS + 1):
        day = 1 + i % 28
        amount = "12O.00" if i in (7, 30) else f"{100 + i}.{i % 100:02d}"  # two broken rows
        lines.append(f"02/{day:02d}/2026,INV-{i:04d},Customer {i % 6},03/{day:02d}/2026,"
                     f"{amount},{amount if i % 3 else '0.00'},{'Open' if i % 3 else 'Paid'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _file_done(url: str) -> bool:
    """Whether the cursor says the whole file was read (a later sync reads it again)."""
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            value: str | None = conn.execute(sa.select(cursors.c.cursor)).scalar()
    finally:
        engine.dispose()
    return value is not None and bool(json.loads(value)["files"]["invoices.csv"]["done"])


def test_a_csv_sync_killed_anywhere_ends_as_an_uninterrupted_one(
        tmp_path: Path, store_url: str) -> None:
    plan = KillPlan.from_env()
    killed_dir, ref_dir = tmp_path / "killed", tmp_path / "reference"
    for folder in (killed_dir, ref_dir):
        folder.mkdir()
        _write_invoices(folder / "invoices.csv")
    with another_store(store_url, ref_dir) as ref_url:
        ref_config = write_config(ref_dir, ref_url, BODY)
        migrated(ref_url)
        reference = reference_run(ref_config, "sync", "--no-progress", ok=SYNCED)
        expected = store_state(ref_url)

    config = write_config(killed_dir, store_url, BODY)
    migrated(store_url)
    plan.kill_repeatedly(config, ["sync", "--no-progress"], reference,
                         ["committing", "committed"], ok=SYNCED,
                         read_all=lambda: _file_done(store_url))
    got = store_state(store_url)
    assert len(expected["records"]) == ROWS - 2 and len(expected["quarantine"]) == 2
    assert_same_store(got, expected, plan)
