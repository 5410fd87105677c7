"""Small helpers for tests that run real syncs against a store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli.app import run
from hub.config import HubConfig, load_config
from hub.contract.connector import Connector
from hub.plugins import PluginRegistry, load_plugins
from hub.runtime import Hub
from hub.store import open_store
from hub.store.schema import quarantine, records
from hub.sync.engine import SyncEngine


def write_config(folder: Path, store_url: str, body: str) -> Path:
    """Write billing-hub.toml in ``folder`` with ``[store] url`` and the given sections."""
    text = f'[store]\nurl = "{store_url}"\n\n' + textwrap.dedent(body)
    path = folder / "billing-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def connector_of(config: HubConfig, name: str, *,
                 registry: PluginRegistry | None = None) -> Connector:
    """``[connectors.NAME]`` of ``config`` built as the hub builds it, without a store (so
    without a vault for credentials)."""
    detached = Hub(config, registry or load_plugins(), sa.create_engine("sqlite://"))
    return detached.connector(name, vault=False)


@contextmanager
def hub(folder: Path, store_url: str, body: str) -> Iterator[tuple[SyncEngine, Engine, HubConfig]]:
    """A sync engine over a fresh config in ``folder``; disposes the engine afterwards."""
    config = load_config(write_config(folder, store_url, body))
    engine = open_store(config.store_url())
    try:
        yield SyncEngine(Hub(config, load_plugins(), engine)), engine, config
    finally:
        engine.dispose()


def stored(engine: Engine, entity: str | None = None, source: str | None = None
           ) -> dict[str, dict[str, Any]]:
    """external_id -> canonical data of every live record (optionally filtered)."""
    stmt = sa.select(records.c.external_id, records.c.data).where(records.c.deleted_at.is_(None))
    if entity:
        stmt = stmt.where(records.c.entity == entity)
    if source:
        stmt = stmt.where(records.c.source == source)
    with engine.connect() as conn:
        return {ext: orjson.loads(data) for ext, data in conn.execute(stmt)}


def quarantined(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(quarantine).where(quarantine.c.status == "open").order_by(quarantine.c.id))]


def counts(summary: Any, entity: str) -> tuple[int, int, int, int]:
    c = summary.counts[entity]
    return (c.created, c.updated, c.unchanged, c.quarantined)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``billing-hub ARGS`` in-process: (exit code, stdout, stderr)."""
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds saying ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_until_serving(server: subprocess.Popen[str], base: str, timeout: float = 60.0) -> None:
    """Wait until ``billing-hub serve`` (the process ``server``) answers ``base``/healthz."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, server.communicate()
        assert time.monotonic() < deadline, "billing-hub serve did not come up"
        time.sleep(0.1)


@contextmanager
def cli_process(*args: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """``billing-hub ARGS`` in a child process, and the lines it printed so far (stdout and
    stderr together); killed if it still runs when the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from hub.cli.app import main; main()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
        env={**os.environ, "COLUMNS": "200"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(timeout=10)


CLI = "import sys; from hub.cli.app import run; sys.exit(run(sys.argv[1:]))"
"""Python code that runs billing-hub with the arguments after it (``python -c CLI ...``)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def opened(text: str, first_line: str) -> str:
    """``text`` with the commented block that starts at ``first_line`` uncommented."""
    start = text.index(first_line)
    block = text[start:text.index("\n\n", start)]
    return text.replace(block, "\n".join(line.removeprefix("# ") for line in block.splitlines()))
