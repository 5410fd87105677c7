"""The seeded company: deterministic, in several currencies, every invoice state,
payouts that add up."""

from __future__ import annotations

import orjson

from plugins.stripe.simulator import CompanyPlan, SimClock, Simulator, seed_company
from plugins.stripe.simulator.currencies import THREE_DECIMAL
from tests.simulators.stripe.frozen import NOW

DAY = 86400


def _dump(sim: Simulator) -> bytes:
    out = []
    for path in ("/v1/customers", "/v1/invoices", "/v1/charges", "/v1/payouts", "/v1/events"):
        after = None
        while True:
            page = sim.api("GET", path, {"limit": 100, **({"starting_after": after}
                                                         if after else {})})
            out += page["data"]
            if not page["has_more"]:
                break
            after = page["data"][-1]["id"]
    return orjson.dumps(out)


def test_the_same_plan_gives_the_same_company() -> None:
    plan = CompanyPlan(customers=8, invoices=60, seed=11)
    first, second, other = Simulator(seed=2), Simulator(seed=2), Simulator(seed=2)
    seed_company(first, plan, now=NOW)
    seed_company(second, plan, now=NOW)
    seed_company(other, plan, now=NOW, seed=12)
    assert _dump(first) == _dump(second)
    assert _dump(first) != _dump(other)


def test_a_company_has_every_kind_of_record() -> None:
    sim = Simulator(seed=1, clock=SimClock(frozen_at=NOW))
    company = seed_company(sim, customers=15, invoices=200, refunded=0.2, credit_noted=0.2)
    assert set(company.invoices) == {"draft", "open", "paid", "void", "uncollectible"}
    assert len(company.invoice_ids) == 200 == len(sim.store.invoices)
    assert company.refunds and company.credit_notes and company.payouts
    assert len(company.payments_without_invoice) == 5
    currencies = {sim.api("GET", f"/v1/invoices/{x}")["currency"] for x in company.invoice_ids}
    assert currencies == {"usd", "eur", "jpy", "bhd"}
    longest = max(sim.store.invoices.values(), key=lambda x: len(x.lines))
    shown = sim.api("GET", f"/v1/invoices/{longest.id}")
    assert len(longest.lines) == 12 and len(shown["lines"]["data"]) == 10
    assert shown["lines"]["has_more"]
    for charge in sim.store.charges.values():
        if charge.currency in THREE_DECIMAL:
            assert charge.amount % 10 == 0
    for invoice in sim.store.invoices.values():
        assert NOW - 90 * DAY <= invoice.created <= NOW
    assert sim.clock.now() == NOW and sim.clock.frozen


def test_payouts_add_up_to_what_they_settled() -> None:
    sim = Simulator(seed=5, clock=SimClock(frozen_at=NOW))
    company = seed_company(sim, customers=10, invoices=150, refunded=0.3)
    assert company.payouts
    for payout_id in company.payouts:
        payout = sim.api("GET", f"/v1/payouts/{payout_id}")
        rows = sim.api("GET", "/v1/balance_transactions",
                       {"payout": payout_id, "limit": 100})["data"]
        assert not sim.api("GET", "/v1/balance_transactions",
                           {"payout": payout_id, "limit": 100})["has_more"]
        settled = [r for r in rows if r["type"] != "payout"]
        assert {r["currency"] for r in rows} == {payout["currency"]}
        assert sum(r["net"] for r in settled) == payout["amount"] > 0
        assert payout["status"] == ("paid" if payout["arrival_date"] <= NOW else "in_transit")


def test_events_are_kept_for_the_last_30_days_only() -> None:
    sim = Simulator(seed=5, clock=SimClock(frozen_at=NOW))
    seed_company(sim, customers=5, invoices=80, days=120)
    created = [e.created for e in sim.store.events.values()]
    assert created and min(created) >= NOW - 30 * DAY
    assert sim.api("GET", "/v1/events", {"limit": 1})["has_more"]


def test_a_running_clock_runs_on_after_seeding() -> None:
    sim = Simulator(seed=5)
    seed_company(sim, customers=3, invoices=5, now=NOW)
    assert not sim.clock.frozen and abs(sim.clock.now() - NOW) <= 2
