"""Mirroring a ledger's customers and invoices into Stripe through the outbox: the real
``stripe`` SDK over HTTP against the simulator, on both stores. What Stripe ends up
holding is read from the simulator's own store, never from our answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.contract.connector import Connector
from hub.contract.pushing import (
    CashApplication,
    PushChange,
    PushOperation,
    PushResult,
    PushStatus,
    idempotency_key,
)
from hub.models import CanonicalRecord, Customer, Invoice, InvoiceStatus
from hub.outbox import MirrorCounts, OutboxSender, PushSettings, SendCounts, queue_mirror
from hub.plugins import load_plugins
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.store.clock import utcnow
from hub.store.records import prepare, upsert
from hub.store.schema import audit_log, findings, links, outbox, records
from plugins.stripe.simulator import DEFAULT_API_KEY, Faults, Simulator, SimulatorServer
from plugins.stripe.simulator import records as sim_records
from tests.support.hub import connector_of, hub, stored

BODY = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000
max_attempts = {attempts}
"""
TODAY = datetime.now(UTC).date()
SOON = TODAY + timedelta(days=30)
PAST = TODAY - timedelta(days=20)


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, SimulatorServer]]:
    simulator = Simulator(seed=31)
    with SimulatorServer(simulator) as server:
        yield simulator, server


@pytest.fixture
def stripe_store(sim: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Connector]]:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    with hub(tmp_path, store_url, BODY.format(url=sim[1].url, attempts=6)) as (_, engine, cfg):
        connector = connector_of(cfg, "stripe", registry=load_plugins())
        try:
            yield engine, connector
        finally:
            connector.close()


# ------------------------------------------------------------------ the ledger ("books")
def customer(ext: str, name: str, **kw: Any) -> Customer:
    return Customer(source="books", external_id=ext, name=name, **kw)


def invoice(ext: str, cust: str, currency: str, lines: list[tuple[str, str]], *,
            due: date | None = SOON, **kw: Any) -> Invoice:
    return Invoice.model_validate({
        "source": "books", "external_id": ext, "number": ext, "customer_ref": cust,
        "customer_name": f"name of {cust}", "issue_date": TODAY - timedelta(days=2),
        "due_date": due, "currency": currency,
        "lines": [{"description": d, "amount": Decimal(a)} for d, a in lines], **kw})


def put(engine: Engine, *recs: CanonicalRecord) -> None:
    with engine.begin() as conn:
        for rec in recs:
            upsert(conn, rec.source, rec.entity, [prepare(rec)], run_id=None, now=utcnow())


def ledger() -> list[CanonicalRecord]:
    return [
        customer("C-1", "Kyoto Trading KK", email="ap@kyoto.example"),
        customer("C-2", "Manama Supplies WLL"),
        customer("C-3", "Acme Corp", phone="+1 555 0100"),
        invoice("INV-1", "C-1", "JPY", [("Tea, 40 kg", "100000"), ("Freight", "20000")]),
        invoice("INV-2", "C-2", "BHD", [("Valves", "12.345"), ("Seals", "0.655")], due=PAST),
        Invoice.model_validate({
            "source": "books", "external_id": "INV-3", "number": "INV-3", "customer_ref": "C-3",
            "issue_date": TODAY, "due_date": SOON, "currency": "USD",
            "lines": [{"description": "Consulting", "quantity": Decimal(3),
                       "unit_price": Decimal("120.50"), "amount": Decimal("361.50")}],
            "tax": Decimal("28.92"), "amount_paid": Decimal("390.42"), "status": "paid"}),
        invoice("INV-4", "C-3", "USD", [("Draft work", "50.00")], status="draft"),
        invoice("INV-5", "C-3", "USD", [("Cancelled", "10.00")], status="void"),
    ]


def queue(engine: Engine, entity: str = "invoice", **kw: Any) -> MirrorCounts:
    with engine.begin() as conn:
        return queue_mirror(conn, source="books", target="stripe", entity=entity,
                            actor="test", now=utcnow(), **kw)


def send(engine: Engine, connector: Connector, **settings: Any) -> SendCounts:
    return OutboxSender(engine, connector, ("customer", "invoice"),
                        PushSettings(**settings)).send()


def pushed_ledger(engine: Engine, connector: Connector) -> list[CanonicalRecord]:
    """The ledger stored, queued and sent to Stripe; its records."""
    recs = ledger()
    put(engine, *recs)
    queue(engine)
    send(engine, connector)
    return recs


def sim_invoices(sim: Simulator) -> dict[str, sim_records.Invoice]:
    """Stripe's invoices by the hub id in their metadata (each must appear once)."""
    found: dict[str, sim_records.Invoice] = {}
    for inv in sim.store.invoices.values():
        ext = inv.metadata["hub_external_id"]
        assert ext not in found, f"{ext} was created twice in Stripe"
        found[ext] = inv
    return found


def sim_customers(sim: Simulator) -> dict[str, str]:
    """hub id -> Stripe customer id (each must appear once)."""
    found: dict[str, str] = {}
    for cust in sim.store.customers.values():
        ext = cust.metadata["hub_external_id"]
        assert ext not in found, f"customer {ext} was created twice in Stripe"
        found[ext] = cust.id
    return found


def rows(engine: Engine, *where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(outbox).where(*where).order_by(outbox.c.id))]


def pushed_links(engine: Engine) -> set[tuple[str, str]]:
    """(books id, stripe id) of every link the pusher made."""
    left, right = records.alias("l"), records.alias("r")
    stmt = (sa.select(left.c.external_id, right.c.external_id)
            .select_from(links.join(left, left.c.id == links.c.left_id)
                         .join(right, right.c.id == links.c.right_id))
            .where(links.c.method == "push"))
    with engine.connect() as conn:
        return {(a, b) for a, b in conn.execute(stmt)}


def posts(sim: Simulator) -> int:
    return sum(n for k, n in sim.request_counts.items() if k.startswith("POST"))


# ------------------------------------------------------------------------------ tests
def test_queue_then_send_creates_each_object_once_with_exact_amounts_and_links_them(
    sim: tuple[Simulator, SimulatorServer], stripe_store: tuple[Engine, Connector],
) -> None:
    simulator, _ = sim
    engine, connector = stripe_store
    put(engine, *ledger())
    queued = queue(engine)
    assert (queued.creates, queued.customers, queued.skipped) == (4, 3, 1)  # INV-5 is void
    done = send(engine, connector)
    assert (done.created, done.rejected, done.failed, done.pending) == (7, 0, 0, 0)

    customers = sim_customers(simulator)
    invoices = sim_invoices(simulator)
    assert set(customers) == {"C-1", "C-2", "C-3"} and set(invoices) == {
        "INV-1", "INV-2", "INV-3", "INV-4"}
    jpy, bhd, usd, draft = (invoices[k] for k in ("INV-1", "INV-2", "INV-3", "INV-4"))
    assert (jpy.currency, jpy.total, [x.amount for x in jpy.lines]) == (
        "jpy", 120000, [100000, 20000])
    assert (bhd.currency, bhd.total, [x.amount for x in bhd.lines]) == ("bhd", 13000, [12345, 655])
    assert (usd.total, usd.lines[0].quantity, usd.lines[0].unit_amount_decimal) == (
        39042, 3, "12050")  # 3 x 120.50 + a tax line of 28.92
    assert [x.description for x in usd.lines] == ["Consulting", "Tax"]
    assert [i.status for i in (jpy, bhd, usd, draft)] == ["open", "open", "paid", "draft"]
    assert usd.paid_out_of_band and usd.amount_paid == 0
    assert {i.customer for i in (usd, draft)} == {customers["C-3"]}
    assert jpy.customer == customers["C-1"] and bhd.customer == customers["C-2"]
    assert jpy.metadata == {"hub_source": "books", "hub_external_id": "INV-1",
                            "hub_number": "INV-1"}
    assert jpy.collection_method == "send_invoice"
    assert datetime.fromtimestamp(jpy.due_date or 0, UTC).date() == SOON
    assert bhd.days_until_due == 30  # its due date had passed: Stripe refuses those

    # Stripe's answers are stored as Stripe's copies and linked to the ledger's records
    assert pushed_links(engine) == {(k, v) for k, v in customers.items()} | {
        (k, v.id) for k, v in invoices.items()}
    copies = stored(engine, "invoice", "stripe")
    assert copies[jpy.id]["total"] == "120000" and copies[bhd.id]["total"] == "13.000"
    assert copies[usd.id]["status"] == "paid"
    with engine.connect() as conn:
        sent = conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(
            audit_log.c.action == "push.sent")).scalar()
    assert sent == 7
    assert all(r["status"] == "sent" and r["attempts"] == 1 and r["sent_at"] is not None
               for r in rows(engine))

    # the reconciler pairs each copy with its ledger invoice (by the hub id in its
    # metadata): nothing is missing on either side; what differs is said (INV-2's due
    # date had passed, so Stripe got 30 days from now)
    reconcile(engine, ReconcileSettings())
    with engine.connect() as conn:
        named = {i: f"{src}:{ext}" for i, src, ext in conn.execute(
            sa.select(records.c.id, records.c.source, records.c.external_id))}
        found = {(kind, frozenset(named[i] for i in orjson.loads(ids))) for kind, ids in
                 conn.execute(sa.select(findings.c.kind, findings.c.record_ids))}
    assert not {k for k, _ in found} & {"missing_in_other_system", "amount_mismatch",
                                         "currency_mismatch", "status_mismatch"}, found
    assert ("due_date_mismatch", frozenset({"books:INV-2", f"stripe:{bhd.id}"})) in found

    # again: nothing new to queue, nothing to send, not one request to Stripe
    simulator.reset_request_counts()
    again = queue(engine)
    assert again.queued == 0 and again.unchanged == 4
    assert queue(engine, "customer").queued == 0
    assert send(engine, connector).done == 0
    assert simulator.request_total == 0


def test_an_edit_queues_one_update_and_a_finalized_invoice_keeps_its_amounts(
    sim: tuple[Simulator, SimulatorServer], stripe_store: tuple[Engine, Connector],
) -> None:
    simulator, _ = sim
    engine, connector = stripe_store
    recs = pushed_ledger(engine, connector)
    before = {k: v.id for k, v in sim_invoices(simulator).items()}

    by_id = {r.external_id: r for r in recs}
    draft = by_id["INV-4"].model_copy(update={"memo": "Phase 2"})
    draft = Invoice.model_validate({**draft.model_dump(exclude={"raw"}), "lines": [
        {"description": "Draft work", "amount": Decimal("80.00")},
        {"description": "Travel", "amount": Decimal("12.00")}], "subtotal": None, "total": None,
        "balance": None})
    memo = by_id["INV-1"].model_copy(update={"memo": "Order 4471"})
    grown = Invoice.model_validate({**by_id["INV-2"].model_dump(exclude={"raw"}), "lines": [
        {"description": "Valves", "amount": Decimal("14.000")}], "subtotal": None,
        "total": None, "balance": None})
    paid_note = by_id["INV-3"].model_copy(update={"source_modified": utcnow()})
    put(engine, draft, memo, grown, paid_note)
    counts = queue(engine)
    assert (counts.updates, counts.creates, counts.mark_paid) == (3, 0, 0)
    assert queue(engine).queued == 0  # the same edit is never queued twice

    done = send(engine, connector)
    assert (done.updated, done.rejected, done.created) == (2, 1, 0)
    after = sim_invoices(simulator)
    assert {k: v.id for k, v in after.items()} == before  # nothing new in Stripe
    assert [(x.description, x.amount) for x in after["INV-4"].lines] == [
        ("Draft work", 8000), ("Travel", 1200)]
    assert after["INV-4"].description == "Phase 2" and after["INV-4"].status == "draft"
    assert len(simulator.store.invoiceitems) == sum(len(i.lines) for i in after.values())
    assert after["INV-1"].description == "Order 4471"
    assert after["INV-2"].total == 13000  # open in Stripe: the amounts stay
    (rejected,) = rows(engine, outbox.c.status == "rejected")
    assert rejected["operation"] == "update" and "INV-2" in rejected["payload"]
    reason = rejected["last_error"]
    assert "open" in reason and "total 14.000 BHD here, 13.000 BHD in Stripe" in reason
    assert "void it in Stripe" in reason
    assert queue(engine).queued == 0


def test_an_invoice_paid_in_the_ledger_is_paid_out_of_band_in_stripe_once(
    sim: tuple[Simulator, SimulatorServer], stripe_store: tuple[Engine, Connector],
) -> None:
    simulator, _ = sim
    engine, connector = stripe_store
    recs = pushed_ledger(engine, connector)
    jpy = next(r for r in recs if r.external_id == "INV-1")
    paid = jpy.model_copy(update={"amount_paid": Decimal(120000), "balance": Decimal(0),
                                  "status": InvoiceStatus.PAID})
    put(engine, paid)
    counts = queue(engine)
    assert (counts.mark_paid, counts.updates) == (1, 0)
    assert queue(engine, mark_paid=False).queued == 0
    done = send(engine, connector)
    assert done.updated == 1
    stripe_jpy = sim_invoices(simulator)["INV-1"]
    assert (stripe_jpy.status, stripe_jpy.paid_out_of_band, stripe_jpy.amount_paid) == (
        "paid", True, 0)
    assert stored(engine, "invoice", "stripe")[stripe_jpy.id]["status"] == "paid"
    assert queue(engine).queued == 0  # Stripe's copy is paid now

    # sent again (a crash before the answer was recorded): paid already, unchanged
    (row,) = rows(engine, outbox.c.operation == "mark_paid")
    change = PushChange(PushOperation.MARK_PAID, paid, row["idempotency_key"], stripe_jpy.id)
    (result,) = connector.push([change])
    assert result.status.value == "unchanged" and result.external_id == stripe_jpy.id


def test_stripe_refusals_are_rejected_with_the_reason(
    sim: tuple[Simulator, SimulatorServer], stripe_store: tuple[Engine, Connector],
) -> None:
    simulator, _ = sim
    engine, connector = stripe_store
    put(engine, customer("C-9", "Nowhere Ltd"),
        invoice("INV-8", "C-404", "EUR", [("Mystery", "5.00")]),
        invoice("INV-9", "C-9", "EUR", [("Essay", "5.00")], memo="x" * 1600))
    queue(engine)
    done = send(engine, connector)
    assert (done.created, done.rejected) == (1, 2)
    reasons = {r["payload"].split('"external_id":"')[1][:5]: r["last_error"]
               for r in rows(engine, outbox.c.status == "rejected")}
    assert "customer" in reasons["INV-8"] and "not in Stripe yet" in reasons["INV-8"]
    assert reasons["INV-9"].startswith("Stripe refused it: ")
    assert "description" in reasons["INV-9"]
    assert not simulator.store.invoices.values()
    assert {a for (a,) in _audit(engine)} >= {"push.sent", "push.rejected"}

    # the same key with other parameters: Stripe's idempotency_error, as a rejection
    cust = Customer(source="books", external_id="C-7", name="First Name")
    key = idempotency_key("stripe", "create", cust)
    first, = connector.push([PushChange(PushOperation.CREATE, cust, key)])
    other = cust.model_copy(update={"name": "Second Name"})
    second, = connector.push([PushChange(PushOperation.CREATE, other, key)])
    assert first.status.value == "created"
    assert second.status.value == "rejected"
    assert "used before with different parameters" in second.reason


def _audit(engine: Engine) -> list[tuple[str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(audit_log.c.action))]


def big_ledger(customers: int, invoices: int) -> list[CanonicalRecord]:
    currencies = ["USD", "JPY", "KWD", "EUR"]
    out: list[CanonicalRecord] = [customer(f"C-{i}", f"Customer {i}") for i in range(customers)]
    for i in range(invoices):
        cur = currencies[i % len(currencies)]
        unit = {"USD": "10.25", "JPY": "1500", "KWD": "3.125", "EUR": "7.50"}[cur]
        lines = [(f"Item {n}", str(Decimal(unit) * (n + 1))) for n in range(1 + i % 3)]
        status = "paid" if i % 5 == 0 else "draft" if i % 7 == 0 else "open"
        inv = invoice(f"INV-{i:03d}", f"C-{i % customers}", cur, lines, status=status)
        if status == "paid":
            inv = inv.model_copy(update={"amount_paid": inv.total, "balance": Decimal(0)})
        out.append(inv)
    return out


def test_with_requests_failing_and_answers_lost_a_push_run_creates_no_duplicate(
    sim: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """10% of requests fail (429, 500, dropped connections) and 5% more are carried out
    with the answer lost; the connector tries each request twice, the outbox sends
    what is left again on the next run. Stripe must end with each object exactly once."""
    simulator, server = sim
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    recs = big_ledger(customers=12, invoices=60)
    with hub(tmp_path, store_url, BODY.format(url=server.url, attempts=2)) as (_, engine, cfg):
        put(engine, *recs)
        queue(engine)
        simulator.faults = Faults(rate_limit=0.035, server_error=0.035, drop=0.03,
                                  lost_response=0.05, retry_after=0, seed=17)
        runs = 0
        while rows(engine, outbox.c.status == "pending") and runs < 40:
            connector = connector_of(cfg, "stripe", registry=load_plugins())  # a fresh process, say
            try:
                send(engine, connector, batch_size=8, max_attempts=50)
            finally:
                connector.close()
            runs += 1
        # then the ledger records payments, and those are pushed under the same faults
        paid_later = [r.model_copy(update={"amount_paid": r.total, "balance": Decimal(0),
                                           "status": InvoiceStatus.PAID})
                      for r in recs if isinstance(r, Invoice) and r.status.value == "open"][:8]
        put(engine, *paid_later)
        assert queue(engine).mark_paid == len(paid_later)
        while rows(engine, outbox.c.status == "pending") and runs < 80:
            connector = connector_of(cfg, "stripe", registry=load_plugins())
            try:
                send(engine, connector, batch_size=8, max_attempts=50)
            finally:
                connector.close()
            runs += 1
        simulator.faults = Faults()
        final = rows(engine)

    injected = simulator.injected
    with capsys.disabled():
        print(f"\npush under faults: {simulator.request_total} requests, injected {injected}, "
              f"{runs} send runs, outbox tries {sum(r['attempts'] for r in final)} for "
              f"{len(final)} changes")
    assert injected["lost_response"] > 0 and injected["drop"] > 0
    assert injected["rate_limit"] > 0 and injected["server_error"] > 0
    assert {r["status"] for r in final} == {"sent"}, [r for r in final if r["status"] != "sent"]
    assert any(r["attempts"] > 1 for r in final), "some changes went more than once"

    customers = sim_customers(simulator)  # each asserts no duplicate
    invoices = sim_invoices(simulator)
    ledger_invoices = {r.external_id: r for r in recs if isinstance(r, Invoice)}
    assert len(customers) == 12 and set(invoices) == set(ledger_invoices)
    assert len(simulator.store.invoiceitems) == sum(len(r.lines) for r in
                                                    ledger_invoices.values())
    paid_ids = {r.external_id for r in paid_later}
    for ext, mine in ledger_invoices.items():
        theirs = invoices[ext]
        assert len(theirs.lines) == len(mine.lines), ext
        assert theirs.total == sum(int(x.amount) for x in theirs.lines)
        assert Decimal(theirs.total).scaleb(-{"JPY": 0, "KWD": 3}.get(mine.currency, 2)) == \
            mine.total, ext
        want = ("paid" if mine.status.value == "paid" or ext in paid_ids
                else mine.status.value)
        assert theirs.status == want, ext
        assert theirs.customer == customers[str(mine.customer_ref)]


class CrashAfterAnswer(Connector):
    """The real connector, and the process killed right after Stripe answered:
    before the outbox could record anything."""

    def __init__(self, real: Connector) -> None:
        super().__init__(real.context)
        self.real = real

    def entities(self) -> list[str]:
        return list(self.real.entities())

    def pull(self, entity: str, cursor: str | None) -> Iterator[Any]:
        return self.real.pull(entity, cursor)

    def push(self, changes: Any) -> list[PushResult]:
        self.real.push(changes)
        raise KeyboardInterrupt("killed between Stripe's answer and the commit")


def test_a_crash_between_stripes_answer_and_the_commit_creates_nothing_twice(
    sim: tuple[Simulator, SimulatorServer], stripe_store: tuple[Engine, Connector],
) -> None:
    simulator, _ = sim
    engine, connector = stripe_store
    put(engine, *ledger())
    queue(engine)
    with pytest.raises(KeyboardInterrupt):
        send(engine, CrashAfterAnswer(connector))
    made = posts(simulator)
    assert made > 0 and len(simulator.store.customers) == 3  # Stripe did the work ...
    pending = rows(engine, outbox.c.status == "pending")
    assert pending and all(r["attempts"] <= 1 for r in pending)  # ... the outbox never knew
    assert not pushed_links(engine)

    done = send(engine, connector)
    assert done.created == 7 and done.pending == 0
    invoices = sim_invoices(simulator)  # asserts each exists once
    assert len(invoices) == 4 and len(sim_customers(simulator)) == 3
    assert len(pushed_links(engine)) == 7
    replayed = [r for r in rows(engine) if r["attempts"] == 2]
    assert len(replayed) == 3  # the customers: sent twice, answered once by Stripe
    results = [orjson.loads(r["result"]) for r in replayed]
    assert all(r["status"] == "created" and r["external_id"].startswith("cus_")
               for r in results)


def test_stripe_refuses_to_take_back_a_payment_and_says_why(
        stripe_store: tuple[Engine, Connector]) -> None:
    _engine, connector = stripe_store
    record = invoice("INV-U", "C-1", "USD", [("Work", "10.00")])
    money = CashApplication(amount=Decimal("10.00"), currency="USD", receipt="bank:B-9")
    [result] = connector.push([PushChange(PushOperation.UNAPPLY, record, "bh-apply-u1",
                                          "in_whatever", application=money)])
    assert result.status is PushStatus.REJECTED and result.external_id is None
    assert "an invoice it counts as paid is never reopened" in result.reason
