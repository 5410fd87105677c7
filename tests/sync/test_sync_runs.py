"""A sync is a run: refused while another runs here, recorded however it ends,
and its connector closed in every case (a connector may hold connections)."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from hub.config import load_config
from hub.contract.connector import Connector, ConnectorSpec, EntitySupport
from hub.contract.hookspecs import hookimpl
from hub.contract.page import Page
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store import runs
from hub.store.clock import utcnow
from hub.store.schema import runs as run_table
from hub.sync.engine import SyncAlreadyRunning, SyncEngine
from tests.support.hub import write_config


class CountingSettings(BaseModel):
    fail: bool = False


CLOSED: list[str] = []


class CountingConnector(Connector):
    def entities(self) -> Sequence[str]:
        return ["invoice"]

    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        settings = self.context.config
        assert isinstance(settings, CountingSettings)
        if settings.fail:
            raise ValueError("the service sent nonsense")
        yield Page(records=[], cursor="done")

    def close(self) -> None:
        CLOSED.append(self.name)


def _plugin() -> object:
    def hub_connectors() -> Any:
        yield ConnectorSpec(name="counting", description="counts its close() calls",
                            config_model=CountingSettings, entities=(EntitySupport("invoice"),),
                            factory=lambda ctx: CountingConnector(ctx))
    return types.SimpleNamespace(hub_connectors=hookimpl(hub_connectors))


@pytest.fixture
def sync_engine(engine: Engine, store_url: str, tmp_path: Path) -> SyncEngine:
    CLOSED.clear()
    config = load_config(write_config(tmp_path, store_url, """
        [connectors.books]
        type = "counting"
        [connectors.broken]
        type = "counting"
        fail = true
    """))
    return SyncEngine(Hub(config, load_plugins(extra=[("counting", _plugin())]), engine))


def _all_runs(engine: Engine) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        return [(r.connector, r.status, r.error) for r in reversed(runs.recent(conn))]


def test_a_sync_closes_its_connector_however_it_ends(sync_engine: SyncEngine,
                                                     engine: Engine) -> None:
    assert sync_engine.sync("books").status == "succeeded"
    with pytest.raises(ValueError, match="nonsense"):
        sync_engine.sync("broken")
    assert CLOSED == ["books", "broken"]
    assert _all_runs(engine) == [
        ("books", "succeeded", None),
        ("broken", "failed", "ValueError: the service sent nonsense"),
    ]


def test_a_sync_refused_while_another_runs_here_closes_its_connector(
    sync_engine: SyncEngine, engine: Engine,
) -> None:
    busy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with engine.begin() as conn:  # another process on this machine syncs books
            other = runs.start(conn, "sync", "books", utcnow())
            conn.execute(run_table.update().where(run_table.c.id == other).values(pid=busy.pid))
        with pytest.raises(SyncAlreadyRunning, match=rf"run {other}, pid {busy.pid}"):
            sync_engine.sync("books")
    finally:
        busy.kill()
        busy.wait()
    assert CLOSED == ["books"]
    assert _all_runs(engine) == [("books", "running", None)]  # no run of its own
