"""A deterministic company history: customers, invoices in every state, card
payments, payments with no invoice, refunds, credit notes and weekly payouts,
in several currencies (zero- and three-decimal ones included).

Everything goes through the simulator's own endpoints (``Simulator.api``),
with the clock set to the moment each step happens, so the objects, their
``created`` times and their events are what the API would have produced.
The same plan and seed give the same ids and amounts; pass ``now`` to fix
the times too. Events older than the 30-day retention are not kept.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plugins.stripe.simulator import currencies
from plugins.stripe.simulator.app import Simulator
from plugins.stripe.simulator.events import RETENTION

DAY = 86400

_FIRST = ("Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Indigo",
          "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer", "Quarry",
          "Rowan", "Summit", "Tidal", "Umber", "Vertex", "Willow", "Yarrow", "Zephyr")
_SECOND = ("Analytics", "Bakery", "Clinic", "Design", "Engineering", "Foods", "Logistics",
           "Media", "Outfitters", "Robotics", "Studio", "Supply", "Textiles", "Ventures")


@dataclass(frozen=True)
class CompanyPlan:
    """How much history to make, and of which kinds (shares are of all invoices)."""

    customers: int = 20
    invoices: int = 100
    days: int = 90
    currencies: tuple[tuple[str, int], ...] = (("usd", 6), ("eur", 2), ("jpy", 1), ("bhd", 1))
    """Currencies of the customers, with weights."""
    lines: tuple[int, int] = (1, 3)
    long_invoices: int = 1
    """Invoices with 12 lines (more than the 10 an invoice shows inline)."""
    draft: float = 0.04
    paid_by_card: float = 0.55
    paid_out_of_band: float = 0.1
    void: float = 0.04
    uncollectible: float = 0.03
    send_invoice: float = 0.4
    refunded: float = 0.06
    """Share of card-paid invoices partly refunded."""
    credit_noted: float = 0.06
    """Share of open or paid invoices given a credit note."""
    payments_without_invoice: int = 5
    payout_every_days: int | None = 7
    seed: int = 0


@dataclass
class SeededCompany:
    """What was made, by kind (ids), and the moment the history ends."""

    now: int
    customers: list[str] = field(default_factory=list)
    invoices: dict[str, list[str]] = field(default_factory=dict)
    payments_without_invoice: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)
    credit_notes: list[str] = field(default_factory=list)
    payouts: list[str] = field(default_factory=list)

    @property
    def invoice_ids(self) -> list[str]:
        return [x for ids in self.invoices.values() for x in ids]


def seed_company(sim: Simulator, plan: CompanyPlan | None = None, *, now: int | None = None,
                 **changes: Any) -> SeededCompany:
    """Fill ``sim`` with a company's history ending at ``now`` (default: the clock's now).

    ``changes`` override fields of ``plan`` (``seed_company(sim, invoices=500)``).
    """
    plan = dataclasses.replace(plan or CompanyPlan(), **changes)
    return _Seeder(sim, plan, now).run()


class _Seeder:
    def __init__(self, sim: Simulator, plan: CompanyPlan, now: int | None) -> None:
        self.sim = sim
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.end = sim.clock.now() if now is None else now
        self.start = self.end - plan.days * DAY
        self.out = SeededCompany(now=self.end)
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._order = 0
        self.customer_currency: dict[str, str] = {}

    def at(self, when: int, step: Callable[[], None]) -> None:
        self._order += 1
        heapq.heappush(self._queue, (min(when, self.end), self._order, step))

    def run(self) -> SeededCompany:
        clock = self.sim.clock
        was_frozen = clock.frozen
        store = self.sim.store
        emitting = store.emit_events
        try:
            self._plan_customers()
            while self._queue:
                when, _, step = heapq.heappop(self._queue)
                clock.freeze(when)
                store.emit_events = emitting and when >= self.end - RETENTION
                step()
            clock.freeze(self.end)
            store.emit_events = emitting
            self.sim.settle_payouts()
        finally:
            store.emit_events = emitting
            clock.freeze(self.end)
            if not was_frozen:
                clock.resume()
        return self.out

    # ------------------------------------------------------------ plan

    def _plan_customers(self) -> None:
        plan, rng = self.plan, self.rng
        span = self.end - self.start
        names, weights = zip(*plan.currencies, strict=True)
        for index in range(plan.customers):
            when = self.start + int(rng.uniform(0, 0.1) * span)
            currency = (names[index] if index < len(names)  # each currency at least once
                        else rng.choices(names, weights)[0])
            self.at(when, functools.partial(self._customer, index, currency))
        first = self.start + int(0.1 * span) + 1
        for index in range(plan.invoices):
            when = rng.randint(first, max(first, self.end - 3600))
            self.at(when, functools.partial(self._invoice, index))
        for _ in range(plan.payments_without_invoice):
            self.at(rng.randint(first, self.end - 3600), self._payment_without_invoice)
        if plan.payout_every_days:
            when = self.start + plan.payout_every_days * DAY
            while when <= self.end:
                self.at(when, self._payouts)
                when += plan.payout_every_days * DAY

    # ------------------------------------------------------------ steps

    def _customer(self, index: int, currency: str) -> None:
        rng = self.rng
        name = f"{_FIRST[index % len(_FIRST)]} {rng.choice(_SECOND)}"
        if index >= len(_FIRST):
            name += f" {index // len(_FIRST) + 1}"
        slug = name.lower().replace(" ", "-")
        customer = self.sim.api("POST", "/v1/customers", {
            "name": name, "email": f"billing@{slug}.example", "description": f"Seeded #{index}",
            "metadata": {"seed_index": str(index)},
            "address": {"country": "US", "city": "Springfield", "line1": f"{index + 1} Main St"},
        })
        self.out.customers.append(customer["id"])
        self.customer_currency[customer["id"]] = currency

    def _amount(self, currency: str) -> int:
        amount = self.rng.randint(500, 250000)
        return amount * 10 if currencies.exponent(currency) == 3 else amount

    def _invoice(self, index: int) -> None:
        if not self.out.customers:
            return
        sim, rng, plan = self.sim, self.rng, self.plan
        customer = rng.choice(self.out.customers)
        currency = self.customer_currency[customer]
        send = rng.random() < plan.send_invoice
        params: dict[str, Any] = {
            "customer": customer, "currency": currency,
            "collection_method": "send_invoice" if send else "charge_automatically",
            "metadata": {"seed_index": str(index)},
            "description": f"Services, period {index}",
        }
        if send:
            params["days_until_due"] = rng.choice((14, 30, 45))
        invoice = sim.api("POST", "/v1/invoices", params)
        count = 12 if index < plan.long_invoices else rng.randint(*plan.lines)
        lines = []
        for number in range(count):
            if rng.random() < 0.3:
                unit = self._amount(currency)
                lines.append({"description": f"Item {number + 1}", "quantity": rng.randint(2, 5),
                              "price_data": {"currency": currency, "unit_amount": unit}})
            else:
                lines.append({"description": f"Item {number + 1}",
                              "amount": self._amount(currency)})
        sim.api("POST", f"/v1/invoices/{invoice['id']}/add_lines", {"lines": lines})
        draw = rng.random()
        if draw < plan.draft:
            self.out.invoices.setdefault("draft", []).append(invoice["id"])
            return
        sim.api("POST", f"/v1/invoices/{invoice['id']}/finalize", {})
        draw -= plan.draft
        now = self.sim.clock.now()
        later = now + rng.randint(3600, 25 * DAY)
        outcome = "open"
        for kind in ("paid_by_card", "paid_out_of_band", "void", "uncollectible"):
            share: float = getattr(plan, kind)
            if draw < share:
                outcome = kind
                break
            draw -= share
        if outcome == "open" or later >= self.end:
            self.out.invoices.setdefault("open", []).append(invoice["id"])
            if rng.random() < plan.credit_noted:
                self.at(now + 600, lambda: self._credit_note(invoice["id"], "open"))
            return
        self.at(later, lambda: self._settle(invoice["id"], outcome))

    def _settle(self, invoice_id: str, outcome: str) -> None:
        sim, rng = self.sim, self.rng
        path = f"/v1/invoices/{invoice_id}"
        if outcome == "paid_by_card":
            sim.api("POST", f"{path}/pay", {"payment_method": "pm_card_visa"})
            self.out.invoices.setdefault("paid", []).append(invoice_id)
            if rng.random() < self.plan.refunded:
                self.at(sim.clock.now() + rng.randint(DAY, 10 * DAY),
                        lambda: self._refund(invoice_id))
            elif rng.random() < self.plan.credit_noted:
                self.at(sim.clock.now() + DAY, lambda: self._credit_note(invoice_id, "card"))
        elif outcome == "paid_out_of_band":
            sim.api("POST", f"{path}/pay", {"paid_out_of_band": True})
            self.out.invoices.setdefault("paid", []).append(invoice_id)
            if rng.random() < self.plan.credit_noted:
                self.at(sim.clock.now() + DAY, lambda: self._credit_note(invoice_id, "oob"))
        elif outcome == "void":
            sim.api("POST", f"{path}/void", {})
            self.out.invoices.setdefault("void", []).append(invoice_id)
        else:
            sim.api("POST", f"{path}/mark_uncollectible", {})
            self.out.invoices.setdefault("uncollectible", []).append(invoice_id)

    def _part(self, amount: int, currency: str) -> int:
        part = amount // 3
        if currencies.exponent(currency) == 3:
            part -= part % 10
        return part

    def _refund(self, invoice_id: str) -> None:
        sim = self.sim
        paid = sim.api("GET", "/v1/invoice_payments", {"invoice": invoice_id, "status": "paid"})
        if not paid["data"]:
            return
        row = paid["data"][0]
        amount = self._part(row["amount_paid"], row["currency"])
        if amount <= 0:
            return
        refund = sim.api("POST", "/v1/refunds", {
            "payment_intent": row["payment"]["payment_intent"], "amount": amount,
            "reason": "requested_by_customer"})
        self.out.refunds.append(refund["id"])

    def _credit_note(self, invoice_id: str, how: str) -> None:
        sim = self.sim
        invoice = sim.api("GET", f"/v1/invoices/{invoice_id}")
        base = invoice["amount_remaining"] if how == "open" else invoice["total"]
        amount = self._part(base, invoice["currency"])
        if amount <= 0:
            return
        params: dict[str, Any] = {"invoice": invoice_id, "amount": amount,
                                  "reason": "order_change", "memo": "Adjusted after review"}
        if how == "card":
            params["refund_amount"] = amount
        elif how == "oob":
            params["out_of_band_amount"] = amount
        note = sim.api("POST", "/v1/credit_notes", params)
        self.out.credit_notes.append(note["id"])

    def _payment_without_invoice(self) -> None:
        if not self.out.customers:
            return
        customer = self.rng.choice(self.out.customers)
        currency = self.customer_currency[customer]
        intent = self.sim.api("POST", "/v1/payment_intents", {
            "amount": self._amount(currency), "currency": currency, "customer": customer,
            "confirm": True, "payment_method": "pm_card_visa",
            "description": "Payment on account"})
        self.out.payments_without_invoice.append(intent["id"])

    def _payouts(self) -> None:
        self.sim.settle_payouts()
        self.out.payouts.extend(p.id for p in self.sim.pay_out())
