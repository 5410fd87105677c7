"""Mirroring a ledger into QuickBooks Online through the outbox: python-quickbooks over
HTTPS against the simulator, on both stores. What QuickBooks ends up holding is read from
the simulator's own state, never from our answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from hub.contract.connector import Connector
from hub.contract.pushing import (
    CashApplication,
    PushChange,
    PushOperation,
    PushStatus,
    idempotency_key,
)
from hub.models import CanonicalRecord, Customer, Invoice
from hub.outbox import OutboxSender, PushSettings, queue_mirror
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store.clock import utcnow
from hub.store.records import prepare, upsert
from plugins.quickbooks.simulator import QboSimulatorServer
from tests.support.hub import hub
from tests.support.qbo import config_body

TODAY = datetime.now(UTC).date()


@pytest.fixture
def pushing(qbo: QboSimulatorServer, tmp_path: Path, store_url: str
            ) -> Iterator[tuple[QboSimulatorServer, Engine, Connector]]:
    with hub(tmp_path, store_url, config_body(qbo, push_item='"Services"')) as (
            _sync, engine, config):
        if not any(i["Name"] == "Services" for i in qbo.sim.all("Item")):
            qbo.sim.create("Item", {"Name": "Services", "Type": "Service"})
        connector = Hub(config, load_plugins(), engine).connector("books")
        try:
            yield qbo, engine, connector
        finally:
            connector.close()


def put(engine: Engine, *recs: CanonicalRecord) -> None:
    with engine.begin() as conn:
        for rec in recs:
            upsert(conn, rec.source, rec.entity, [prepare(rec)], run_id=None, now=utcnow())


def ledger(**changes: Any) -> list[CanonicalRecord]:
    inv = {
        "source": "ledger", "external_id": "L-INV-1", "number": "L-1001",
        "customer_ref": "L-C1", "customer_name": "Harbour Freight Partners",
        "issue_date": TODAY - timedelta(days=3), "due_date": TODAY + timedelta(days=27),
        "currency": "USD", "tax": Decimal("8.00"),
        "lines": [{"description": "Consulting", "quantity": Decimal(3),
                   "unit_price": Decimal("120.50"), "amount": Decimal("361.50")},
                  {"description": "Loyalty discount", "amount": Decimal("-11.50")}],
    }
    inv.update(changes)
    return [Customer(source="ledger", external_id="L-C1", name="Harbour Freight Partners",
                     email="ap@harbour.example", currency="USD"),
            Invoice.model_validate(inv)]


def mirror(engine: Engine, connector: Connector, *, mark_paid: bool = True) -> Any:
    with engine.begin() as conn:
        for entity in ("customer", "invoice"):
            queue_mirror(conn, source="ledger", target="books", entity=entity,
                         mark_paid=mark_paid, actor="test", now=utcnow())
    return OutboxSender(engine, connector, ("customer", "invoice"), PushSettings()).send()


def theirs(qbo: QboSimulatorServer, entity: str, **match: Any) -> list[dict[str, Any]]:
    return [o for o in qbo.sim.all(entity) if all(o.get(k) == v for k, v in match.items())]


def test_a_ledger_is_mirrored_once_then_only_its_changes(
        pushing: tuple[QboSimulatorServer, Engine, Connector]) -> None:
    qbo, engine, connector = pushing
    put(engine, *ledger())
    first = mirror(engine, connector)
    assert (first.created, first.rejected, first.failed) == (2, 0, 0), first
    [customer] = theirs(qbo, "Customer", DisplayName="Harbour Freight Partners")
    assert customer["PrimaryEmailAddr"]["Address"] == "ap@harbour.example"
    [invoice] = theirs(qbo, "Invoice", DocNumber="L-1001")
    assert invoice["CustomerRef"]["value"] == customer["Id"]
    assert invoice["TotalAmt"] == Decimal("358.00") == invoice["Balance"]  # 361.50 - 11.50 + 8
    kinds = sorted((ln["DetailType"], ln["Amount"], ln.get("Description") or "")
                   for ln in invoice["Line"] if ln["DetailType"] != "SubTotalLineDetail")
    assert kinds == [("DiscountLineDetail", Decimal("11.50"), ""),
                     ("SalesItemLineDetail", Decimal("8.00"), "Tax"),
                     ("SalesItemLineDetail", Decimal("361.50"), "Consulting")]
    assert invoice["DueDate"] == (TODAY + timedelta(days=27)).isoformat()
    assert "billing-hub: ledger L-INV-1" in invoice["PrivateNote"]

    again = mirror(engine, connector)  # nothing changed: nothing queued, nothing sent
    assert (again.created, again.updated) == (0, 0)
    assert len(theirs(qbo, "Invoice", DocNumber="L-1001")) == 1

    put(engine, *ledger(due_date=TODAY + timedelta(days=45)))
    moved = mirror(engine, connector)
    assert moved.updated == 1
    [invoice] = theirs(qbo, "Invoice", DocNumber="L-1001")
    assert invoice["DueDate"] == (TODAY + timedelta(days=45)).isoformat()

    # paid in the ledger: a payment of the balance is entered in QuickBooks
    put(engine, *ledger(due_date=TODAY + timedelta(days=45), status="paid",
                        amount_paid=Decimal("358.00")))
    paid = mirror(engine, connector)
    assert paid.updated == 1, paid
    [invoice] = theirs(qbo, "Invoice", DocNumber="L-1001")
    assert invoice["Balance"] == 0
    [payment] = [p for p in qbo.sim.all("Payment")
                 if "entered by billing-hub" in (p.get("PrivateNote") or "")]
    assert payment["TotalAmt"] == Decimal("358.00")
    assert mirror(engine, connector).updated == 0


def test_the_same_change_sent_twice_makes_one_record(
        pushing: tuple[QboSimulatorServer, Engine, Connector], tmp_path: Path) -> None:
    qbo, _engine, connector = pushing
    record = Customer(source="ledger", external_id="L-C9", name="Only Once Ltd")
    change = PushChange(PushOperation.CREATE, record,
                        idempotency_key("books", "create", record))
    [first] = connector.push([change])
    connector.close()  # a crash between QuickBooks' answer and the outbox's commit
    [second] = type(connector)(connector.context).push([change])
    assert first.status is PushStatus.CREATED and first.external_id == second.external_id
    assert len(theirs(qbo, "Customer", DisplayName="Only Once Ltd")) == 1


def test_what_quickbooks_refuses_is_rejected_with_its_reason(
        pushing: tuple[QboSimulatorServer, Engine, Connector]) -> None:
    qbo, _engine, connector = pushing
    taken = qbo.sim.all("Customer")[0]["DisplayName"]
    clash = Customer(source="ledger", external_id="L-C7", name=taken)
    long_number = ledger(number="L-" + "9" * 30)[1]
    nobody = ledger(customer_name="Nobody We Know")[1]
    results = connector.push([
        PushChange(PushOperation.CREATE, rec, idempotency_key("books", "create", rec))
        for rec in (clash, long_number, nobody)])
    assert [r.status for r in results] == [PushStatus.REJECTED] * 3
    assert "Duplicate" in results[0].reason or "already" in results[0].reason
    assert "21 characters" in results[1].reason
    assert "no customer" in results[2].reason and "Nobody We Know" in results[2].reason


def test_an_invoice_edited_in_quickbooks_meanwhile_is_read_again_once(
        pushing: tuple[QboSimulatorServer, Engine, Connector]) -> None:
    qbo, engine, connector = pushing
    put(engine, *ledger())
    mirror(engine, connector)
    [invoice] = theirs(qbo, "Invoice", DocNumber="L-1001")
    reads = []
    api = connector.api  # type: ignore[attr-defined]
    read = api.read

    def someone_edits_right_after_our_read(name: str, object_id: str) -> Any:
        found = read(name, object_id)
        if not reads:  # a person saves a note between our read and our write
            qbo.sim.update("Invoice", {"Id": object_id, "SyncToken": found["SyncToken"],
                                       "sparse": True, "PrivateNote": "Called them"})
        reads.append(found["SyncToken"])
        return found

    api.read = someone_edits_right_after_our_read
    put(engine, *ledger(due_date=TODAY + timedelta(days=60)))
    assert mirror(engine, connector).updated == 1
    assert len(reads) == 2 and reads[0] != reads[1]  # read again after QuickBooks said stale
    [invoice] = theirs(qbo, "Invoice", DocNumber="L-1001")
    assert invoice["DueDate"] == (TODAY + timedelta(days=60)).isoformat()
    assert invoice["PrivateNote"] == "Called them"  # their note is theirs: updates leave it
    assert qbo.sim.count_requests(status=400) == 1  # the one stale write, refused


def test_an_application_is_a_payment_line_and_unapply_takes_the_line_back(
        pushing: tuple[QboSimulatorServer, Engine, Connector]) -> None:
    qbo, _engine, connector = pushing
    invoice = next(i for i in qbo.sim.all("Invoice") if i["Balance"] > 10
                   and i["CurrencyRef"]["value"] == "USD")
    before = invoice["Balance"]
    record = Invoice(source="books", external_id=invoice["Id"], number=invoice["DocNumber"],
                     issue_date=TODAY, currency="USD", total=invoice["TotalAmt"])
    money = CashApplication(amount=Decimal("10.00"), currency="USD", receipt="bank:B-9",
                            received=TODAY, payer="Someone", reference="B-9")
    [applied] = connector.push([PushChange(PushOperation.APPLY, record, "bh-apply-t1",
                                           invoice["Id"], application=money)])
    assert applied.status is PushStatus.UPDATED and applied.record is None
    assert qbo.sim.get("Invoice", invoice["Id"])["Balance"] == before - Decimal("10.00")
    taken = CashApplication(amount=Decimal("10.00"), currency="USD", receipt="bank:B-9",
                            payment_id=applied.external_id)
    [undone] = connector.push([PushChange(PushOperation.UNAPPLY, record, "bh-apply-t1:undo",
                                          invoice["Id"], application=taken)])
    assert undone.status is PushStatus.UPDATED and undone.external_id == applied.external_id
    assert qbo.sim.get("Invoice", invoice["Id"])["Balance"] == before
    payment = qbo.sim.get("Payment", str(applied.external_id))
    assert payment["Line"] == [] and payment["UnappliedAmt"] == Decimal("10.00")
    [again] = connector.push([PushChange(PushOperation.UNAPPLY, record, "bh-apply-t1:undo2",
                                         invoice["Id"], application=taken)])
    assert again.status is PushStatus.REJECTED and "applies nothing to invoice" in again.reason
