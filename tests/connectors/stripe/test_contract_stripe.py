"""The Stripe connector against the connector contract (hub.testing).

The fake system is the Stripe simulator on a local port, reached by the real
``stripe`` SDK; the harness seeds it through its API as a person using Stripe
would, and changes one object per check the way Stripe would change it (a
customer renamed, an invoice paid outside Stripe, a charge refunded, a
payout arriving, a dispute answered). The connector is asked for pages of three objects, so seven
objects make three pages and every cursor is resumed from.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pydantic import SecretStr

from hub.contract.webhooks import WebhookDelivery
from hub.models import CanonicalRecord, Customer, Invoice
from hub.testing import ConnectorContract, ConnectorHarness
from plugins.stripe.events import EVENT_TYPES
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer, sign
from plugins.stripe.simulator import payouts as sim_payouts

SECRET = "whsec_contract_endpoint_secret"
DAY = 86_400
CURRENCY = "usd"
_fresh_event = itertools.count(1)


class StripeHarness(ConnectorHarness):
    """A simulated Stripe account, served over HTTP for the connector's SDK."""

    connector_type = "stripe"
    plugin_name = "stripe"
    signed_timestamps: ClassVar[bool] = True

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.sim = Simulator(seed=23)
        self.server = SimulatorServer(self.sim).start()
        self.seeded: dict[str, list[str]] = {}
        self._customer: str | None = None
        self._count = 0

    # ------------------------------------------------------------------ always
    def config(self) -> Mapping[str, Any]:
        return {"api_key": SecretStr(DEFAULT_API_KEY), "api_base": self.server.url,
                "page_size": self.page_size, "list_limit": self.page_size,
                "concurrency": 2, "requests_per_second": 500, "max_attempts": 3,
                "webhook_secret": SecretStr(SECRET)}

    def seed(self, entity: str, count: int) -> list[str]:
        self._count = count
        ids = [self._make(entity, i) for i in range(count)]
        self.seeded[entity] = ids
        return ids

    def add_malformed(self, entity: str) -> None:
        # Stripe would never send an unknown currency; a broken proxy or a
        # future API version might: the mapping must refuse it, not crash.
        object_id = self._make(entity, 99)
        store = self.sim.store
        collection: Any = {"customer": store.customers, "invoice": store.invoices,
                      "payment": store.charges, "refund": store.refunds,
                      "credit_note": store.credit_notes, "payout": store.payouts,
                      "dispute": store.disputes}[entity]
        with store.lock:
            record: Any = collection.get(object_id)
            collection.put(dataclasses.replace(record, currency="zzz"))

    # ------------------------------------------------------- declared capabilities
    def change(self, entity: str) -> str:
        target = self.seeded[entity][0]
        api = self.sim.api
        if entity == "customer":
            api("POST", f"/v1/customers/{target}", {"name": "Renamed Customer"})
        elif entity == "invoice":
            api("POST", f"/v1/invoices/{target}/pay", {"paid_out_of_band": True})
        elif entity == "payment":
            api("POST", "/v1/refunds", {"charge": target, "amount": 500})
        elif entity == "refund":
            api("POST", f"/v1/refunds/{target}", {"metadata": {"ticket": "T-1"}})
        elif entity == "credit_note":
            api("POST", f"/v1/credit_notes/{target}", {"memo": "Agreed on the phone"})
        elif entity == "dispute":  # the evidence is sent
            self.sim.decide_dispute(target, "under_review")
        else:  # the oldest payout arrives at the bank; the others are still in transit
            self.sim.clock.advance(DAY + 1)
            settled = self.sim.settle_payouts()
            assert [p.id for p in settled] == [target], "seeding should stagger arrivals"
        return target

    def new_record(self, entity: str) -> CanonicalRecord:
        if entity == "customer":
            return Customer(source="erp", external_id="CUST-77", name="Bergs Snabbköp",
                            email="ap@bergs.example", currency="USD")
        customer = self._a_customer()
        return Invoice.model_validate({
            "source": "erp", "external_id": "INV-2024-0077", "number": "INV-2024-0077",
            "customer_ref": customer, "customer_name": "Contract Customer", "currency": "USD",
            "issue_date": date(2024, 3, 1), "due_date": date(2024, 3, 31),
            "lines": [{"description": "Consulting, March", "quantity": Decimal(3),
                       "unit_price": Decimal("120.50"), "amount": Decimal("361.50")}],
            "metadata": {"stripe_customer": customer}})

    def sent_invoices(self) -> list[str]:
        return [s.invoice for s in self.sim.store.sent_invoices]

    def webhook_delivery(self, entity: str, *, sent_at: datetime) -> WebhookDelivery:
        event = self._an_event(entity)
        event["id"] = f"evt_contract{next(_fresh_event):010d}"  # each delivery a new event
        body = json.dumps(event).encode()
        header = sign(body, SECRET, int(sent_at.timestamp()))
        return WebhookDelivery({"Stripe-Signature": header, "Content-Type": "application/json"},
                               body)

    def close(self) -> None:
        self.server.stop()

    # ------------------------------------------------------------------ helpers
    def _a_customer(self) -> str:
        if self._customer is None:
            self._customer = self.sim.api("POST", "/v1/customers", {
                "name": "Contract Customer", "email": "billing@contract.example"})["id"]
        return self._customer

    def _charge(self, amount: int) -> str:
        intent = self.sim.api("POST", "/v1/payment_intents", {
            "amount": amount, "currency": CURRENCY, "customer": self._a_customer(),
            "confirm": True, "payment_method": "pm_card_visa"})
        charge: str = intent["latest_charge"]
        return charge

    def _open_invoice(self, i: int) -> str:
        invoice = self.sim.api("POST", "/v1/invoices", {
            "customer": self._a_customer(), "currency": CURRENCY,
            "collection_method": "send_invoice", "days_until_due": 30,
            "description": f"Order {i}"})
        self.sim.api("POST", f"/v1/invoices/{invoice['id']}/add_lines", {"lines": [
            {"description": "Widgets", "amount": 10_000 + 100 * i},
            {"description": "Delivery", "quantity": 2,
             "price_data": {"currency": CURRENCY, "unit_amount": 750}}]})
        self.sim.api("POST", f"/v1/invoices/{invoice['id']}/finalize", {})
        invoice_id: str = invoice["id"]
        return invoice_id

    def _make(self, entity: str, i: int) -> str:
        api = self.sim.api
        if entity == "customer":
            return str(api("POST", "/v1/customers", {
                "name": f"Customer {i}", "email": f"ap{i}@example.com",
                "metadata": {"erp_id": f"C-{i}"}})["id"])
        if entity == "invoice":
            return self._open_invoice(i)
        if entity == "payment":
            return self._charge(2_000 + 10 * i)
        if entity == "refund":
            charge = self._charge(5_000 + 10 * i)
            return str(api("POST", "/v1/refunds", {"charge": charge, "amount": 1_000,
                                                   "reason": "requested_by_customer"})["id"])
        if entity == "credit_note":
            invoice = self._open_invoice(i)
            return str(api("POST", "/v1/credit_notes", {
                "invoice": invoice, "amount": 1_500, "reason": "order_change"})["id"])
        if entity == "dispute":
            return self._dispute(i)
        return self._payout(i)

    def _dispute(self, i: int) -> str:
        """A chargeback of the card payment that paid an invoice (every other one part of
        the charge)."""
        invoice = self._open_invoice(i)
        self.sim.api("POST", f"/v1/invoices/{invoice}/pay", {"payment_method": "pm_card_visa"})
        paid = self.sim.api("GET", "/v1/invoice_payments",
                            {"invoice": invoice, "status": "paid"})["data"][0]
        intent = self.sim.api("GET", f"/v1/payment_intents/{paid['payment']['payment_intent']}")
        return self.sim.open_dispute(intent["latest_charge"], reason="fraudulent",
                                     amount=None if i % 2 else 5_000).id

    def _payout(self, i: int) -> str:
        """A payout of a fresh charge, made three days after the one before.
        None has arrived when seeding ends; the oldest arrives a day later, the
        next a day after that, and so on."""
        self._charge(3_000 + 10 * i)
        self.sim.clock.advance(3 * DAY)
        arrival_days = 3 * (self._count - i - 1) + 1 + i if i < self._count else 30
        made = sim_payouts.pay_out(self.sim.ctx(), CURRENCY, arrival_days=arrival_days)
        return made[0].id

    def _an_event(self, entity: str) -> dict[str, Any]:
        types = set(EVENT_TYPES[entity])
        for attempt in range(2):
            with self.sim.store.lock:
                found = next((e for e in self.sim.store.events.newest_first()
                              if e.type in types), None)
            if found is not None:
                event: dict[str, Any] = json.loads(self.sim.webhooks.payload(found.id))
                return event
            if attempt == 0:
                self._make(entity, 50)
        raise AssertionError(f"the simulator emitted no event of {sorted(types)}")


class TestStripeContract(ConnectorContract):
    harness = StripeHarness
