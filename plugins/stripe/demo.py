"""Northwind Supplies' Stripe account, simulated for ``billing-hub demo``.

Northwind bills a few customers through Stripe Invoicing as well as in
QuickBooks, with the QuickBooks number in each Stripe invoice's metadata
(``quickbooks_invoice``), so the reconciler links the two. The account is
made through the simulator's own API on a frozen clock, so the same ids,
amounts and times come out every time the demo runs. What it shows:

- INV-1017 was paid by card in Stripe on 2 November; QuickBooks still has it
  overdue (a status mismatch the coordinator must book);
- INV-1018 is open in both, as it should be;
- INV-1016 was paid by card on 3 November and paid out on the 5th: the payout
  (gross, minus Stripe's fee) is what the bank should have received;
- one card payment on account, for no invoice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from hub import DemoService
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer
from plugins.stripe.simulator import payouts as sim_payouts

INSTANCE = "stripe"
_CUSTOMERS = {  # QuickBooks id -> (name, e-mail, currency)
    "C-003": ("Bottom-Dollar Markets", "ap@bottomdollar.example", "usd"),
    "C-007": ("Rattlesnake Canyon Grocery", "ap@rattlesnake.example", "usd"),
    "C-008": ("Wolski Zajazd", "faktury@wolski.example", "eur"),
}
_INVOICES = (  # (QuickBooks number, customer, created, due, lines in minor units, paid on)
    ("INV-1017", "C-003", "2026-10-08", "2026-10-23",
     (("Dry goods, October", 180_000), ("Cold-chain delivery", 51_749)), "2026-11-02"),
    ("INV-1018", "C-007", "2026-10-11", "2026-11-10",
     (("Produce, October", 256_109),), None),
    ("INV-1016", "C-008", "2026-10-07", "2026-11-06",
     (("Catering supplies", 300_000), ("Glassware", 87_719)), "2026-11-03"),
)


def _at(day: str, hour: int = 10) -> int:
    return int(datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).timestamp())


def build_account(sim: Simulator) -> None:
    """Make Northwind's Stripe objects in ``sim``, each at its own (fixed) moment."""
    clock, api = sim.clock, sim.api
    clock.freeze(_at("2026-10-01"))
    customers: dict[str, str] = {}
    for qb_id, (name, email, currency) in _CUSTOMERS.items():
        customers[qb_id] = api("POST", "/v1/customers", {
            "name": name, "email": email, "preferred_locales": ["en"],
            "metadata": {"quickbooks_customer": qb_id, "currency": currency}})["id"]
    for number, qb_customer, created, due, lines, paid_on in _INVOICES:
        clock.freeze(_at(created))
        currency = _CUSTOMERS[qb_customer][2]
        invoice = api("POST", "/v1/invoices", {
            "customer": customers[qb_customer], "currency": currency,
            "collection_method": "send_invoice", "due_date": _at(due, 23),
            "description": f"Northwind Supplies {number}",
            "metadata": {"quickbooks_invoice": number}})
        api("POST", f"/v1/invoices/{invoice['id']}/add_lines", {"lines": [
            {"description": text, "amount": amount} for text, amount in lines]})
        api("POST", f"/v1/invoices/{invoice['id']}/finalize", {})
        if paid_on:
            clock.freeze(_at(paid_on, 14))
            api("POST", f"/v1/invoices/{invoice['id']}/pay", {"payment_method": "pm_card_visa"})
    clock.freeze(_at("2026-11-12", 9))
    api("POST", "/v1/payment_intents", {
        "amount": 48_000, "currency": "usd", "customer": customers["C-007"], "confirm": True,
        "payment_method": "pm_card_visa", "description": "Northwind order on account"})
    clock.freeze(_at("2026-11-05", 18))  # Stripe pays out what has become available
    sim_payouts.pay_out(sim.ctx(), "eur", arrival_days=1)
    clock.freeze(_at("2026-11-21", 12))
    sim.settle_payouts()


class _Account:
    """The simulated account on a local port, for the length of one demo run."""

    def __init__(self) -> None:
        self.server: SimulatorServer | None = None

    def start(self) -> Mapping[str, Any]:
        sim = Simulator(seed=1042)
        build_account(sim)
        self.server = SimulatorServer(sim).start()
        return {"api_key": SecretStr(DEFAULT_API_KEY), "api_base": self.server.url,
                "requests_per_second": 200, "concurrency": 2}

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def services() -> Iterator[DemoService]:
    """The demo's simulated Stripe account."""
    account = _Account()
    yield DemoService(
        instance=INSTANCE, connector_type="stripe",
        description="a simulated Stripe account (3 invoices, card payments, a payout)",
        start=account.start, stop=account.stop)
