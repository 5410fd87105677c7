"""A sync killed mid-run (a real process, SIGKILL) resumes to exactly the store
an uninterrupted sync gives: nothing lost, nothing doubled.

The child process runs ``billing-hub sync`` on a 40,000-row invoice file with
small pages; the test watches the store's cursor, kills the child once a few
pages are committed, syncs again to the end and compares every record, every
quarantine entry, the cursor and the counts with a second store filled by one
uninterrupted sync of the same file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.config import load_config
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store import open_store
from hub.store.schema import cursors, quarantine, records, runs
from hub.sync.engine import SyncEngine
from tests.support.hub import write_config
from tests.support.paths import ROOT

ROWS = 40_000
BROKEN = 8  # rows 17, 5017, ... 35017: an amount with a letter O for a zero
BODY = """
[connectors.books]
type = "csv"
page_size = 250

[[connectors.books.files]]
path = "invoices.csv"
preset = "quickbooks-invoices"
defaults = { currency = "USD" }
"""


def _write_invoices(path: Path) -> None:
    lines = ["Date,No.,Customer,Due Date,Amount,Open Balance,Status"]
    for i in range(1, ROWS + 1):
        amount = f"{100 + i % 997}.{i % 100:02d}"
        day = 1 + i % 28
        if i % 5000 == 17:  # a few broken rows, quarantined on the way
            lines.append(f"02/{day:02d}/2026,INV-{i:06d},Customer {i % 300},03/{day:02d}/2026,"
                         f"12O.00,0.00,Paid")
            continue
        lines.append(f"02/{day:02d}/2026,INV-{i:06d},Customer {i % 300},03/{day:02d}/2026,"
                     f"{amount},{amount if i % 3 else '0.00'},{'Open' if i % 3 else 'Paid'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def _second_store(store_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty store of the same kind as ``store_url`` (a file, or a new schema)."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    server = os.environ["BILLING_HUB_TEST_DATABASE_URL"].strip()
    schema = f"bh_ref_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in server else "?"
        yield f"{server}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _contents(url: str) -> dict[str, Any]:
    """Everything a sync writes that must not depend on how the sync went."""
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            held = {
                ext: (h, data, raw, location, number, amount, balance, status)
                for ext, h, data, raw, location, number, amount, balance, status in conn.execute(
                    sa.select(records.c.external_id, records.c.content_hash, records.c.data,
                              records.c.raw, records.c.location, records.c.number,
                              records.c.amount_minor, records.c.open_minor, records.c.status)
                    .where(records.c.deleted_at.is_(None)))
            }
            stored = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar()
            waiting = sorted(tuple(r) for r in conn.execute(sa.select(
                quarantine.c.fingerprint, quarantine.c.external_id, quarantine.c.location,
                quarantine.c.reason, quarantine.c.raw, quarantine.c.status,
                quarantine.c.times_seen)))
            cursor = conn.execute(sa.select(cursors.c.source, cursors.c.entity,
                                            cursors.c.cursor)).all()
        return {"records": held, "rows": stored, "quarantine": waiting,
                "cursors": [tuple(c) for c in cursor]}
    finally:
        engine.dispose()


def _rows_done(engine: Engine) -> int:
    """Data rows the saved cursor says are committed; -1 once the file is done."""
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.select(cursors.c.cursor)).scalar()
    except sa.exc.DBAPIError:  # SQLite busy for a moment: ask again
        return 0
    if not value:
        return 0
    state = json.loads(value)["files"]["invoices.csv"]
    return -1 if state["done"] else int(state["rows"])


def _sync_in_a_child(config_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from hub.cli.app import run; sys.exit(run(sys.argv[1:]))",
         "--config", str(config_path), "sync", "--no-progress"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_killed_sync_resumes_to_the_same_store(tmp_path: Path, store_url: str) -> None:
    killed_dir, ref_dir = tmp_path / "killed", tmp_path / "reference"
    for folder in (killed_dir, ref_dir):
        folder.mkdir()
        _write_invoices(folder / "invoices.csv")
    config_path = write_config(killed_dir, store_url, BODY)
    watcher = open_store(store_url)  # migrates first, so the child only syncs

    # 1. A real process syncs; kill it once some pages are committed, not all.
    child = _sync_in_a_child(config_path)
    try:
        deadline = time.monotonic() + 120
        done_rows = 0
        while time.monotonic() < deadline and child.poll() is None:
            done_rows = _rows_done(watcher)
            if done_rows >= 1000:
                break
            time.sleep(0.02)
        assert child.poll() is None, (
            "the sync finished (or failed) before it could be killed: "
            f"{child.stderr.read()!r}"  # type: ignore[union-attr]
        )
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        watcher.dispose()
    assert 0 < done_rows < ROWS

    # 2. What the kill left: a run still marked running, part of the file stored.
    config = load_config(config_path)
    engine = open_store(config.store_url())
    try:
        with engine.connect() as conn:
            (killed_run, status) = conn.execute(sa.select(runs.c.id, runs.c.status)).one()
            stored_before = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar()
        assert status == "running"  # the killed process could not close its run
        assert stored_before is not None and 0 < stored_before < ROWS

        # 3. The next sync closes the killed run and resumes from the saved cursor.
        summary = SyncEngine(Hub(config, load_plugins(), engine)).sync("books")
        with engine.connect() as conn:
            history = conn.execute(sa.select(runs.c.id, runs.c.status, runs.c.finished_at,
                                             runs.c.error).order_by(runs.c.id)).all()
    finally:
        engine.dispose()
    assert [(rid, st) for rid, st, _, _ in history] == [
        (killed_run, "interrupted"), (summary.run_id, "succeeded")]
    assert history[0].finished_at is not None
    assert "killed or crashed" in history[0].error
    resumed = summary.counts["invoice"]
    assert resumed.created == ROWS - BROKEN - stored_before  # none stored twice
    assert resumed.updated == 0

    # 4. One uninterrupted sync of the same file into a second store.
    with _second_store(store_url, tmp_path) as ref_url:
        ref_config = load_config(write_config(ref_dir, ref_url, BODY))
        ref_engine = open_store(ref_config.store_url())
        try:
            SyncEngine(Hub(ref_config, load_plugins(), ref_engine)).sync("books")
        finally:
            ref_engine.dispose()
        expected = _contents(ref_url)

    got = _contents(store_url)
    assert expected["rows"] == len(expected["records"]) == ROWS - BROKEN
    assert len(expected["quarantine"]) == BROKEN
    assert got["rows"] == expected["rows"]
    assert got["records"].keys() == expected["records"].keys()
    assert got["records"] == expected["records"]
    assert got["quarantine"] == expected["quarantine"]
    assert got["cursors"] == expected["cursors"]
