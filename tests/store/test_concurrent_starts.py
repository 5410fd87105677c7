"""Processes started together on a fresh store all start: migrations run under the
store's lock, one process at a time, and `billing-hub db upgrade` runs them on its own.

Every process here is a real `billing-hub` started with the others at the same
moment, on SQLite and on PostgreSQL (an empty schema of its own).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.store import create_engine, current_revision, head_revision
from hub.store.database import downgrade
from tests.support.hub import CLI, write_config
from tests.support.stores import BACKENDS, PG_URL, fresh_pg_schema

pytestmark = pytest.mark.slow


def _start(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CLI, *args], cwd=folder, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _all_at_once(folder: Path, count: int, *args: str) -> list[tuple[int, str]]:
    procs = [_start(folder, *args) for _ in range(count)]
    return [(p.wait(timeout=120), p.stdout.read() if p.stdout else "") for p in procs]


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@contextmanager
def _fresh_store(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
    else:
        with fresh_pg_schema() as url:
            yield url


@pytest.mark.parametrize("backend", BACKENDS)
def test_processes_started_together_on_a_fresh_store_all_start(
        tmp_path: Path, backend: str) -> None:
    for attempt in range(3):  # before the lock, 3 tries in 6 failed on SQLite
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        with _fresh_store(backend, folder) as url:
            write_config(folder, url, "")
            results = _all_at_once(folder, 4, "status")
            assert [code for code, _ in results] == [0, 0, 0, 0], results
            assert not any("Traceback" in text for _, text in results)
            assert {"records", "runs", "alembic_version"} <= _tables(url)


def test_db_upgrade_creates_then_upgrades_then_has_nothing_to_do(
        tmp_path: Path, store_url: str) -> None:
    write_config(tmp_path, store_url, "")
    first = _all_at_once(tmp_path, 1, "db", "upgrade")[0]
    assert first[0] == 0 and "Created the store's tables" in first[1]
    assert f"(schema {head_revision()})" in first[1]
    engine = create_engine(store_url)
    try:
        downgrade(engine, "0004")  # as a store written by the version before
        assert current_revision(engine) == "0004"
        code, text = _all_at_once(tmp_path, 1, "db", "upgrade")[0]
        assert code == 0 and f"from schema 0004 to {head_revision()}" in " ".join(text.split())
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    again = _all_at_once(tmp_path, 1, "db", "upgrade")[0]
    assert again[0] == 0 and "already has the newest schema" in again[1]


@pytest.mark.skipif(not PG_URL, reason="workers need PostgreSQL: set "
                    "BILLING_HUB_TEST_DATABASE_URL")
def test_four_workers_started_together_on_an_empty_database_all_start(tmp_path: Path) -> None:
    with fresh_pg_schema() as url:
        write_config(tmp_path, url, "")
        procs = [_start(tmp_path, "worker", "--name", f"w{i}") for i in range(4)]
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and any(p.poll() is None for p in procs):
                if _tables(url) >= {"procrastinate_jobs", "runs"}:
                    time.sleep(3)  # every worker past its start by now, or dead
                    break
                time.sleep(0.2)
            assert [p.poll() for p in procs] == [None] * 4, [
                p.communicate()[0] for p in procs if p.poll() is not None]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            outputs = [p.communicate(timeout=60)[0] for p in procs]
        for text in outputs:
            assert "waiting for jobs" in text and "Traceback" not in text, text
        assert sum("Created the job queue's tables" in text for text in outputs) == 1
