"""The outbox itself, against a small target system kept in memory: queued with the change
that caused it, tries counted, transient failures sent again with the same key and
given up after the configured tries, a refused key stopping the run with what to do."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from hub.contract.connector import Connector, ConnectorContext
from hub.contract.page import Page
from hub.contract.pushing import PushChange, PushOperation, PushResult, PushStatus
from hub.errors import FatalError, HubError, TransientError
from hub.models import Customer
from hub.outbox import OutboxSender, PushSettings, enqueue
from hub.outbox.rows import list_entries, send_again
from hub.store import runs as store_runs
from hub.store.clock import utcnow
from hub.store.records import prepare, upsert
from hub.store.schema import audit_log, outbox, records
from hub.store.schema import runs as run_table


class NoSettings(BaseModel):
    """The target needs no configuration."""


class Target(Connector):
    """A system that makes one record per idempotency key and fails when told to."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(ConnectorContext("target", NoSettings(), tmp))
        self.made: dict[str, str] = {}
        self.failures: list[Exception] = []
        self.seen: list[PushChange] = []

    def entities(self) -> Sequence[str]:
        return ["customer"]

    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        yield Page([])

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        out = []
        for change in changes:
            if self.failures:
                raise self.failures.pop(0)
            self.seen.append(change)
            made = self.made.setdefault(change.idempotency_key, f"T-{len(self.made) + 1}")
            out.append(PushResult(change.idempotency_key, PushStatus.CREATED, made))
        return out


def stored_customers(engine: Engine, n: int) -> list[tuple[int, Customer]]:
    out = []
    with engine.begin() as conn:
        for i in range(n):
            cust = Customer(source="books", external_id=f"C-{i}", name=f"Customer {i}")
            upsert(conn, "books", "customer", [prepare(cust)], run_id=None, now=utcnow())
            rid = conn.execute(sa.select(records.c.id).where(
                records.c.external_id == cust.external_id)).scalar_one()
            out.append((int(rid), cust))
    return out


def queue_all(engine: Engine, customers: list[tuple[int, Customer]]) -> None:
    with engine.begin() as conn:
        for rid, cust in customers:
            enqueue(conn, target="target", operation=PushOperation.CREATE, record=cust,
                    record_id=rid, now=utcnow())


def rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))]


def actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [a for (a,) in conn.execute(sa.select(audit_log.c.action))]


def test_a_change_is_queued_with_its_cause_or_not_at_all(engine: Engine) -> None:
    customers = stored_customers(engine, 1)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        enqueue(conn, target="target", operation=PushOperation.CREATE, record=customers[0][1],
                record_id=customers[0][0], now=utcnow())
        raise RuntimeError("the cause failed")
    assert rows(engine) == []
    queue_all(engine, customers)
    queue_all(engine, customers)  # the same change again: the key is taken
    assert len(rows(engine)) == 1


def test_transient_failures_go_again_with_the_same_key_until_given_up(
    engine: Engine, tmp_path: Path,
) -> None:
    customers = stored_customers(engine, 3)
    queue_all(engine, customers)
    target = Target(tmp_path)
    settings = PushSettings(batch_size=2, max_attempts=2)
    target.failures = [TransientError("429 Too Many Requests", connector="target")]
    first = OutboxSender(engine, target, ["customer"], settings).send()
    assert first.stopped and "429" in first.stopped and first.pending == 3
    tried = rows(engine)
    assert [r["attempts"] for r in tried] == [1, 1, 0]  # the batch that went counts a try
    assert all("429" in str(r["last_error"]) for r in tried[:2])

    second = OutboxSender(engine, target, ["customer"], settings).send()
    assert (second.created, second.pending, second.stopped) == (3, 0, None)
    keys = [str(r["idempotency_key"]) for r in rows(engine)]
    assert [c.idempotency_key for c in target.seen] == keys  # the same keys went again
    assert [orjson.loads(str(r["result"]))["external_id"] for r in rows(engine)] == [
        "T-1", "T-2", "T-3"]

    more = stored_customers(engine, 4)[3:]
    queue_all(engine, more)
    for _ in range(2):
        target.failures = [TransientError("connection reset", connector="target")]
        OutboxSender(engine, target, ["customer"], settings).send()
    (gave_up,) = [r for r in rows(engine) if r["status"] == "failed"]
    assert gave_up["attempts"] == 2
    assert gave_up["last_error"] == "gave up after 2 tries; the last: [target] connection reset"
    assert "push.failed" in actions(engine)
    with engine.begin() as conn:
        assert send_again(conn, None, actor="test", now=utcnow()) == [gave_up["id"]]
    assert OutboxSender(engine, target, ["customer"], settings).send().created == 1


def test_a_refused_credential_stops_the_run_with_what_to_do(
    engine: Engine, tmp_path: Path,
) -> None:
    queue_all(engine, stored_customers(engine, 2))
    target = Target(tmp_path)
    target.failures = [FatalError("the API key was refused", connector="target",
                                  hint="set TARGET_KEY")]
    with pytest.raises(HubError) as exc:
        OutboxSender(engine, target, ["customer"]).send()
    assert "pushing to target stopped: [target] the API key was refused" in str(exc.value)
    assert "run `billing-hub push send` again" in str(exc.value)
    assert {r["status"] for r in rows(engine)} == {"pending"}
    assert all("refused" in str(r["last_error"]) for r in rows(engine))


def test_a_change_tried_long_ago_without_an_answer_is_not_sent_again_by_itself(
    engine: Engine, tmp_path: Path,
) -> None:
    queue_all(engine, stored_customers(engine, 1))
    long_ago = (utcnow() - timedelta(hours=30)).isoformat()
    with engine.begin() as conn:
        conn.execute(outbox.update().values(attempts=1, result=orjson.dumps(
            {"first_sent_at": long_ago}).decode()))
    target = Target(tmp_path)
    counts = OutboxSender(engine, target, ["customer"]).send()
    assert counts.failed == 1 and not target.seen
    with engine.connect() as conn:
        (entry,) = list_entries(conn, statuses=["failed"])
    assert "never answered" in str(entry.last_error)
    assert "billing-hub push retry" in str(entry.last_error)
    assert entry.record == "books:customer:C-0 (Customer 0)"


def test_changes_the_connector_does_not_push_stay_queued_untouched(
    engine: Engine, tmp_path: Path,
) -> None:
    from hub.models import Invoice, Payment
    from hub.reconcile.applying import apply_payment

    inv = Invoice(source="target", external_id="I-1", number="I-1", issue_date=date(2026, 1, 5),
                  currency="USD", total=Decimal("10.00"))
    pay = Payment(source="bank", external_id="P-1", amount=Decimal("10.00"), currency="USD",
                  received_date=date(2026, 1, 6))
    with engine.begin() as conn:
        upsert(conn, "target", "invoice", [prepare(inv)], run_id=None, now=utcnow())
        upsert(conn, "bank", "payment", [prepare(pay)], run_id=None, now=utcnow())
        apply_payment(conn, "bank:P-1", "target:I-1", None, actor="test", now=utcnow())
    before = rows(engine)
    assert OutboxSender(engine, Target(tmp_path), ["customer"]).send().done == 0
    assert rows(engine) == before


def test_a_send_is_a_run_and_two_at_once_on_one_machine_are_refused(
    engine: Engine, tmp_path: Path,
) -> None:
    queue_all(engine, stored_customers(engine, 2))
    target = Target(tmp_path)
    busy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with engine.begin() as conn:  # another process on this machine is sending
            other = store_runs.start(conn, "push", "target", utcnow())
            conn.execute(run_table.update().where(run_table.c.id == other).values(pid=busy.pid))
        with pytest.raises(store_runs.AlreadyRunning) as exc:
            OutboxSender(engine, target, ["customer"]).send()
        assert (f"a push send to 'target' is already running (run {other}, pid {busy.pid} on "
                f"{socket.gethostname()}, since ") in str(exc.value)
        assert not target.seen and [r["attempts"] for r in rows(engine)] == [0, 0]
    finally:
        busy.kill()
        busy.wait()

    target.failures = [TransientError("503 Service Unavailable", connector="target")]
    stopped = OutboxSender(engine, target, ["customer"]).send()  # the dead one is closed first
    done = OutboxSender(engine, target, ["customer"]).send()
    assert (stopped.pending, done.created) == (2, 2)
    with engine.connect() as conn:
        kinds = [(r.kind, r.status, r.error) for r in store_runs.recent(conn, connector="target")]
    assert kinds[0] == ("push", "succeeded", None)
    assert kinds[1][:2] == ("push", "failed") and "503" in str(kinds[1][2])
    assert kinds[2][:2] == ("push", "interrupted") and "same keys" in str(kinds[2][2])
    assert "run.interrupted" in actions(engine)
