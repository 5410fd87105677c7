"""The QuickBooks Online connector against the connector contract (hub.testing).

The fake system is the QuickBooks simulator over HTTPS, reached by the real
python-quickbooks and intuit-oauth; the harness seeds it as a person using
QuickBooks would (through the simulator's own create and update), one second
apart so that pages of three are cut by update time, and changes one object
per check. Each connector the kit builds signs in with a fresh refresh token,
as a newly connected company would (the kit runs connectors without a store,
so without a vault to keep rotated tokens in). Pushed invoices name the
harness's customer, which the connector finds by its display name.
"""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from hub.contract.webhooks import WebhookDelivery
from hub.models import CanonicalRecord, Customer, Invoice
from hub.testing import ConnectorContract, ConnectorHarness
from plugins.quickbooks.config import QBO_NAMES
from plugins.quickbooks.simulator import QboSimulatorServer, cloudevents, sign

TOKEN = "contract-verifier-token"
_fresh = itertools.count(1)


class QuickBooksHarness(ConnectorHarness):
    """A simulated QuickBooks company, served over HTTPS for python-quickbooks."""

    connector_type = "quickbooks"
    plugin_name = "quickbooks"
    signed_timestamps: ClassVar[bool] = False  # intuit-signature signs no time

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.server = QboSimulatorServer().start()
        self.sim = self.server.sim
        self.sim.clock.freeze(self.sim.clock.now())
        self._patch = pytest.MonkeyPatch()
        self._patch.setenv("REQUESTS_CA_BUNDLE", self.server.ca_bundle)
        self.seeded: dict[str, list[str]] = {}
        self._customer: str | None = None
        self._item: str | None = None

    def config(self) -> dict[str, Any]:
        s = self.server
        return {"realm_id": s.realm_id, "client_id": SecretStr(s.client_id),
                "client_secret": SecretStr(s.client_secret),
                "refresh_token": SecretStr(s.connect()), "environment": s.discovery_url,
                "api_url": s.api_url, "page_size": self.page_size, "max_attempts": 3,
                "throttled_wait_seconds": 0, "requests_per_second": 10,
                "webhook_verifier_token": SecretStr(TOKEN), "push_item": "Consulting"}

    def seed(self, entity: str, count: int) -> list[str]:
        ids = [self._make(entity, i) for i in range(count)]
        self.seeded[entity] = ids
        return ids

    def add_malformed(self, entity: str) -> None:
        # QuickBooks would not send an unknown currency; a broken proxy or a new
        # API version might: the mapping must refuse it, not crash.
        made = self._make(entity, 99)
        company = self.sim.company()
        with self.sim._lock:
            company.objects[QBO_NAMES[entity]][made]["CurrencyRef"] = {"value": "ZZZ"}

    def change(self, entity: str) -> str:
        target = self.seeded[entity][0]
        name = QBO_NAMES[entity]
        current = self.sim.get(name, target)
        self._tick()
        change: dict[str, Any] = {"Id": target, "SyncToken": current["SyncToken"],
                                  "sparse": True}
        if entity == "customer":
            change["DisplayName"] = "Renamed Customer"
        elif entity in ("invoice", "credit_note"):
            change["PrivateNote"] = "Agreed on the phone"
        else:
            change["PaymentRefNum"] = "CHK-CHANGED"
        self.sim.update(name, change)
        return target

    def new_record(self, entity: str) -> CanonicalRecord:
        if entity == "customer":
            return Customer(source="erp", external_id="CUST-77", name="Bergs Snabbköp",
                            email="ap@bergs.example", currency="USD")
        self._a_customer()
        self._an_item()
        return Invoice.model_validate({
            "source": "erp", "external_id": "INV-2024-0077", "number": "INV-2024-0077",
            "customer_name": "Contract Customer", "currency": "USD",
            "issue_date": date(2024, 3, 1), "due_date": date(2024, 3, 31),
            "lines": [{"description": "Consulting, March", "quantity": Decimal(3),
                       "unit_price": Decimal("120.50"), "amount": Decimal("361.50")}]})

    def sent_invoices(self) -> list[str]:
        return [s.invoice_id for s in self.sim.sent_invoices]

    def webhook_delivery(self, entity: str, *, sent_at: datetime) -> WebhookDelivery:
        name = QBO_NAMES[entity]
        changes = [c for c in self.sim.changes() if c.entity == name]
        if not changes:  # nothing happened yet in this check: make something happen
            self._make(entity, 77)
            changes = [c for c in self.sim.changes() if c.entity == name]
        events = cloudevents(changes[-1:], self.server.realm_id)
        for event in events:  # a new event id each time, as QuickBooks would send
            event["id"] = f"{event['id']}-{next(_fresh)}"
        body = json.dumps(events).encode()
        return WebhookDelivery({"intuit-signature": sign(body, TOKEN),
                                "Content-Type": "application/json"}, body)

    def close(self) -> None:
        self._patch.undo()
        self.server.stop()

    # ------------------------------------------------------------------ helpers
    def _tick(self) -> None:
        self.sim.clock.freeze(self.sim.clock.now())
        self.sim.clock.advance(1)

    def _a_customer(self) -> str:
        if self._customer is None:
            self._customer = str(self.sim.create("Customer", {
                "DisplayName": "Contract Customer",
                "PrimaryEmailAddr": {"Address": "billing@contract.example"}})["Id"])
        return self._customer

    def _an_item(self) -> str:
        if self._item is None:
            self._item = str(self.sim.create("Item", {"Name": "Consulting", "Type": "Service",
                                                      "UnitPrice": Decimal("120.00")})["Id"])
        return self._item

    def _invoice(self, i: int) -> dict[str, Any]:
        amount = Decimal(100 + i)
        return self.sim.create("Invoice", {
            "CustomerRef": {"value": self._a_customer()}, "TxnDate": "2026-11-02",
            "DueDate": "2026-12-02", "DocNumber": f"C-{1000 + i}",
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": amount,
                      "Description": f"Order {i}",
                      "SalesItemLineDetail": {"ItemRef": {"value": self._an_item()},
                                              "Qty": 1, "UnitPrice": amount}}]})

    def _make(self, entity: str, i: int) -> str:
        self._tick()
        if entity == "customer":
            made = self.sim.create("Customer", {"DisplayName": f"Customer {i}",
                                                "PrimaryEmailAddr": {"Address": f"ap{i}@x.test"}})
        elif entity == "invoice":
            made = self._invoice(i)
        elif entity == "payment":
            invoice = self._invoice(50 + i)
            self._tick()
            made = self.sim.create("Payment", {
                "CustomerRef": {"value": self._a_customer()}, "TotalAmt": Decimal(20 + i),
                "TxnDate": "2026-11-03", "PaymentRefNum": f"CHK-{i}",
                "Line": [{"Amount": Decimal(20 + i),
                          "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
        else:
            made = self.sim.create("CreditMemo", {
                "CustomerRef": {"value": self._a_customer()}, "TxnDate": "2026-11-04",
                "Line": [{"DetailType": "SalesItemLineDetail", "Amount": Decimal(10 + i),
                          "Description": "Goodwill credit",
                          "SalesItemLineDetail": {"ItemRef": {"value": self._an_item()}}}]})
        return str(made["Id"])


class TestQuickBooksContract(ConnectorContract):
    harness = QuickBooksHarness
