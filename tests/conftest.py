"""Shared fixtures: a fresh store per test, on SQLite always and on PostgreSQL
when BILLING_HUB_TEST_DATABASE_URL is set (one schema per test, dropped after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from hub.cli import console
from hub.store import open_store
from plugins.quickbooks.simulator import QboSimulatorServer
from tests.support.qbo import seeded_company
from tests.support.stores import BACKENDS, fresh_pg_schema


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a test that runs real subprocesses or big files")


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


@pytest.fixture
def wide_console() -> Iterator[None]:
    """The CLI's consoles as wide as any table, so what a test reads is never wrapped."""
    saved = console.out.width, console.err.width
    console.out.width = console.err.width = 250
    yield
    console.out.width, console.err.width = saved
