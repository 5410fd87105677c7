"""Runs and token refreshes of one QuickBooks company across real processes.

Every `billing-hub` here is a separate process started through the CLI,
against the simulator over HTTPS, on SQLite and on PostgreSQL:

- two syncs of one connector started together: one runs, the other is
  refused with who holds it (host, pid, since), also when the first runs on
  another host (a process in a UTS namespace of its own, where ``unshare``
  can make one);
- a sync and a push send started together both sign in, one after the other,
  under the strictest OAuth server (a new refresh token at every refresh,
  the old one refused at once): never ``invalid_grant``;
- a sync SIGKILLed at each point around its refresh (before the request
  reaches QuickBooks, after QuickBooks answered, after the new token was
  kept) is followed by a sync that works without a person, with QuickBooks'
  documented rotation (a new refresh token about once a day, the old one
  good for a day).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from hub.models import Customer, Invoice
from hub.outbox import queue_mirror
from hub.store import open_store
from hub.store.clock import utcnow
from hub.store.credentials import StoreVault
from hub.store.records import prepare, upsert
from hub.store.schema import runs
from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.quickbooks.tokens import TokenKeeper
from tests.support.hub import CLI, write_config
from tests.support.qbo import SECRET_KEY, config_body

pytestmark = pytest.mark.slow

DAY = 24 * 3600
ELSEWHERE = "billing-hub-elsewhere"


@pytest.fixture
def store(qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> Iterator[Engine]:
    """The config in ``tmp_path`` and the store, migrated (the children only work)."""
    body = config_body(qbo, push_item='"Services"') + (
        '\n[[push.mirrors]]\nfrom = "ledger"\nto = "books"\nentities = ["customer", "invoice"]\n')
    write_config(tmp_path, store_url, body)
    engine = open_store(store_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _start(folder: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    return subprocess.Popen([*prefix, sys.executable, "-c", CLI, *args], cwd=folder, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "COLUMNS": "250"})


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, " ".join(out.split())


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    proc.communicate()


def _runs(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(r.status, r.host) for r in conn.execute(
            sa.select(runs.c.status, runs.c.host).where(runs.c.kind == "sync")
            .order_by(runs.c.id))]


def _refused(text: str, host: str) -> None:
    assert "Traceback" not in text and "UniqueViolation" not in text
    if "holds its lock and is starting it" in text:
        # refused in the instant between the other's lock and its run record
        assert "a sync of 'books' is already running (another process" in text, text
        return
    assert "a sync of 'books' is already running (run " in text, text
    assert f" on {host}, since " in text and " UTC)" in text, text


def test_two_syncs_started_together_one_runs_and_one_is_refused(
        qbo: QboSimulatorServer, store: Engine, tmp_path: Path) -> None:
    for attempt in range(3):
        hold = qbo.sim.hold("/v3/company/")  # the first request of whichever runs
        first, second = _start(tmp_path, "sync", "books"), _start(tmp_path, "sync", "books")
        assert hold.reached(90), "no sync reached QuickBooks"
        waiting = [p for p in (first, second) if p.poll() is None]
        deadline = time.monotonic() + 120
        while len(waiting) == 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            waiting = [p for p in (first, second) if p.poll() is None]
        if len(waiting) != 1:
            hold.release()
            outputs = [_finish(p) for p in (first, second)]
            pytest.fail(f"expected one sync refused and one held: {outputs}")
        refused = next(p for p in (first, second) if p not in waiting)
        code, text = _finish(refused)
        hold.release()
        finished = _finish(waiting[0])
        assert code == 1, (text, finished)
        _refused(text, socket.gethostname())
        assert finished[0] == 0, finished
        assert _runs(store) == [("succeeded", socket.gethostname())] * (attempt + 1)


def _unshare_works() -> bool:
    if shutil.which("unshare") is None or shutil.which("hostname") is None:
        return False
    probe = subprocess.run(["unshare", "--uts", "sh", "-c", f"hostname {ELSEWHERE}"],
                           capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs `unshare --uts` (root) to run a "
                    "process under another host name")
def test_a_sync_running_on_another_host_refuses_this_one(
        qbo: QboSimulatorServer, store: Engine, tmp_path: Path) -> None:
    other_host = ("unshare", "--uts", "sh", "-c", f'hostname {ELSEWHERE} && exec "$@"', "sh")
    hold = qbo.sim.hold("/v3/company/")
    elsewhere = _start(tmp_path, "sync", "books", prefix=other_host)
    try:
        assert hold.reached(90), _finish(elsewhere, 5)
        code, text = _finish(_start(tmp_path, "sync", "books"))
        assert code == 1
        _refused(text, ELSEWHERE)
    finally:
        hold.release()
    assert _finish(elsewhere)[0] == 0
    assert _runs(store) == [("succeeded", ELSEWHERE)]
    # and with the other host's sync over, this one runs
    assert _finish(_start(tmp_path, "sync", "books"))[0] == 0


def _queue_an_invoice(engine: Engine, n: int) -> None:
    today = datetime.now(UTC).date()
    customer = Customer(source="ledger", external_id=f"L-C{n}", name=f"Harbour Freight {n}",
                        currency="USD")
    invoice = Invoice.model_validate({
        "source": "ledger", "external_id": f"L-INV-{n}", "number": f"L-{1000 + n}",
        "customer_ref": f"L-C{n}", "customer_name": f"Harbour Freight {n}",
        "issue_date": today - timedelta(days=3), "due_date": today + timedelta(days=27),
        "currency": "USD", "lines": [{"description": "Consulting",
                                      "amount": Decimal("361.50")}]})
    with engine.begin() as conn:
        for rec in (customer, invoice):
            upsert(conn, rec.source, rec.entity, [prepare(rec)], run_id=None, now=utcnow())
        for entity in ("customer", "invoice"):
            queue_mirror(conn, source="ledger", target="books", entity=entity,
                         mark_paid=False, actor="test", now=utcnow())


def test_a_sync_and_a_push_started_together_never_meet_invalid_grant(
        qbo: QboSimulatorServer, store: Engine, tmp_path: Path) -> None:
    if not any(i["Name"] == "Services" for i in qbo.sim.all("Item")):
        qbo.sim.create("Item", {"Name": "Services", "Type": "Service"})
    for attempt in range(3):
        _queue_an_invoice(store, attempt)
        # the first refresh is kept waiting at QuickBooks, so the other process asks
        # while it is under way
        hold = qbo.sim.hold("/tokens/bearer")
        procs = [_start(tmp_path, "sync", "books"),
                 _start(tmp_path, "push", "send", "books", "--unapproved")]
        assert hold.reached(90), "nobody signed in"
        time.sleep(1.5)
        hold.release()
        for proc in procs:
            code, text = _finish(proc)
            assert code == 0, text
            assert "invalid_grant" not in text and "connected again" not in text
    assert qbo.sim.count_requests(path="tokens/bearer", status=400) == 0
    assert qbo.sim.count_requests(path="tokens/bearer", status=200) == 6
    assert len(qbo.sim.all("Invoice")) == 25 + 3


def _a_new_token_is_kept(engine: Engine) -> bool:
    configured = os.environ["QBO_REFRESH_TOKEN"]
    vault = StoreVault(engine, "books", SecretStr(SECRET_KEY))
    return TokenKeeper(SecretStr(configured), vault).current() != configured


@pytest.mark.parametrize("point", ["before the request", "after the answer", "after the save"])
def test_a_sync_killed_around_its_refresh_is_followed_by_one_that_works(
        qbo: QboSimulatorServer, store: Engine, tmp_path: Path, point: str) -> None:
    sim = qbo.sim
    sim.refresh_token_rotation, sim.refresh_token_grace = DAY, DAY  # as Intuit documents
    sim.clock.advance(DAY + 3600)  # the configured token is a day old: the refresh replaces it
    if point == "before the request":
        hold = sim.hold("/tokens/bearer", when="before")
    elif point == "after the answer":
        hold = sim.hold("/tokens/bearer", when="after")
    else:
        hold = sim.hold("/v3/company/", when="before")
    child = _start(tmp_path, "sync", "books")
    assert hold.reached(90), _finish(child, 5)
    _kill(child)
    hold.release(drop=True)  # (dropped only if it was stopped before being looked at)
    replaced = sim.count_requests(path="tokens/bearer", status=200)
    assert replaced == (0 if point == "before the request" else 1)
    assert _a_new_token_is_kept(store) == (point == "after the save")

    code, text = _finish(_start(tmp_path, "sync", "books"))
    assert code == 0, text
    assert [status for status, _ in _runs(store)] == ["interrupted", "succeeded"]
    # the chain goes on: a day later the kept token is replaced in turn, and works
    sim.clock.advance(DAY + 3600)
    code, text = _finish(_start(tmp_path, "sync", "books"))
    assert code == 0, text
    assert sim.count_requests(path="tokens/bearer", status=400) == 0
