"""Shared fixtures: a fresh store per test, on SQLite always and on PostgreSQL
when BILLING_HUB_TEST_DATABASE_URL is set (one schema per test, dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.store import open_store
from plugins.quickbooks.simulator import QboSimulatorServer
from tests.qbokit import seeded_company

PG_URL = os.environ.get("BILLING_HUB_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a test that runs real subprocesses or big files")


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A URL into a new, empty schema of the test PostgreSQL, dropped afterwards."""
    schema = f"bh_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty store."""
    eng = open_store(store_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def qbo(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSimulatorServer]:
    """A seeded QuickBooks company (the simulator, over HTTPS) for one test."""
    with seeded_company(monkeypatch) as server:
        yield server
