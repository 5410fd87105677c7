"""A sync killed mid-run (a real process, SIGKILL) resumes to exactly the store
an uninterrupted sync gives: nothing lost, nothing doubled."""

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

import pytest
import sqlalchemy as sa

from hub.config import load_config
from hub.plugins import load_plugins
from hub.store import open_store
from hub.store.schema import cursors, quarantine, records, runs
from hub.sync.engine import SyncEngine
from tests.conftest import PG_URL, _with_search_path
from tests.hubkit import write_config

ROOT = Path(__file__).resolve().parents[1]
ROWS = 40_000
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
def _reference_store(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty store of the same kind as ``store_url``."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    schema = f"bh_ref_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _contents(url: str) -> tuple[dict[str, tuple[str, str]], list[tuple[Any, ...]]]:
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            held = {ext: (h, data) for ext, h, data in conn.execute(
                sa.select(records.c.external_id, records.c.content_hash, records.c.data))}
            waiting = sorted(tuple(r) for r in conn.execute(sa.select(
                quarantine.c.fingerprint, quarantine.c.location, quarantine.c.reason,
                quarantine.c.status, quarantine.c.times_seen)))
        return held, waiting
    finally:
        engine.dispose()


def _cursor_rows(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.select(cursors.c.cursor)).scalar()
    except sa.exc.OperationalError:  # SQLite busy, or the table not created yet
        return 0
    except sa.exc.ProgrammingError:
        return 0
    finally:
        engine.dispose()
    if not value:
        return 0
    state = json.loads(value)["files"]["invoices.csv"]
    return -1 if state["done"] else int(state["rows"])


@pytest.mark.slow
def test_killed_sync_resumes_to_the_same_store(tmp_path: Path, store_url: str) -> None:
    killed_dir, ref_dir = tmp_path / "killed", tmp_path / "reference"
    for folder in (killed_dir, ref_dir):
        folder.mkdir()
        _write_invoices(folder / "invoices.csv")
    config_path = write_config(killed_dir, store_url, BODY)
    open_store(store_url).dispose()  # migrate first, so the child only syncs

    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from hub.cli.app import run; sys.exit(run(sys.argv[1:]))",
         "--config", str(config_path), "sync", "--no-progress"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        done_rows = 0
        while time.monotonic() < deadline and child.poll() is None:
            done_rows = _cursor_rows(store_url)
            if done_rows >= 1000:
                break
            time.sleep(0.02)
        assert child.poll() is None, (
            f"the sync finished before it could be killed: {child.stderr.read()!r}"  # type: ignore[union-attr]
        )
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    assert 0 < done_rows < ROWS

    config = load_config(config_path)
    engine = open_store(config.store_url())
    try:
        with engine.connect() as conn:
            (status,) = conn.execute(sa.select(runs.c.status)).one()
            stored_before = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar()
        assert status == "running"  # the killed process could not close its run
        assert stored_before is not None and 0 < stored_before < ROWS
        summary = SyncEngine(engine, load_plugins(), config).sync("books")
        with engine.connect() as conn:
            statuses = [s for (s,) in conn.execute(sa.select(runs.c.status).order_by(runs.c.id))]
    finally:
        engine.dispose()
    assert statuses == ["interrupted", "succeeded"]
    resumed = summary.counts["invoice"]
    assert resumed.created == ROWS - 8 - stored_before  # 8 broken rows, none stored twice
    assert resumed.updated == 0

    with _reference_store(store_url, tmp_path) as ref_url:
        ref_config = load_config(write_config(ref_dir, ref_url, BODY))
        ref_engine = open_store(ref_config.store_url())
        try:
            SyncEngine(ref_engine, load_plugins(), ref_config).sync("books")
        finally:
            ref_engine.dispose()
        expected_records, expected_quarantine = _contents(ref_url)

    got_records, got_quarantine = _contents(store_url)
    assert len(expected_records) == ROWS - 8
    assert got_records == expected_records
    assert got_quarantine == expected_quarantine
    assert len(got_quarantine) == 8
