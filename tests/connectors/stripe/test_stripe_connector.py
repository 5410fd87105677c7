"""The Stripe connector, through the real SDK over HTTP against the local simulator:
a full sync mirrors the account, the next one reads only events, a pull resumes
from any saved cursor, and faults change nothing in what is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import stripe
from sqlalchemy.engine import Engine

from hub.config import HubConfig
from hub.contract.outcomes import EntityCounts
from hub.models import CanonicalRecord
from hub.money import from_minor_units
from hub.plugins import load_plugins
from hub.store.schema import quarantine, records, runs
from hub.sync.engine import SyncEngine
from plugins.stripe.api import StripeApi, StripeRefused, StripeUnavailable
from plugins.stripe.config import StripeConfig
from plugins.stripe.simulator import (
    DEFAULT_API_KEY,
    CompanyPlan,
    Faults,
    Simulator,
    SimulatorServer,
    seed_company,
)
from tests.support.hub import connector_of, counts, hub, stored

ENTITIES = ("customer", "invoice", "payment", "refund", "credit_note", "payout")
RESOURCE = {"customer": "customers", "invoice": "invoices", "payment": "charges",
            "refund": "refunds", "credit_note": "credit_notes", "payout": "payouts"}
BODY = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
concurrency = 4
page_size = 1
requests_per_second = 1000
max_attempts = 8
"""


@pytest.fixture
def simulator() -> Iterator[tuple[Simulator, SimulatorServer]]:
    sim = Simulator(seed=11)
    seed_company(sim, CompanyPlan(customers=12, invoices=160, days=60, seed=5))
    with SimulatorServer(sim) as server:
        yield sim, server


@pytest.fixture
def stripe_hub(simulator: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SyncEngine, Engine, HubConfig]]:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    with hub(tmp_path, store_url, BODY.format(url=simulator[1].url)) as running:
        yield running


def everything(sim: Simulator, resource: str, **params: Any) -> list[dict[str, Any]]:
    """Every object of a list, read in-process (not counted, no faults)."""
    out: list[dict[str, Any]] = []
    query: dict[str, Any] = {**params, "limit": 100}
    while True:
        page = sim.api("GET", f"/v1/{resource}", query)
        out.extend(page["data"])
        if not page["has_more"]:
            return out
        query["starting_after"] = page["data"][-1]["id"]


def expected_ids(sim: Simulator, entity: str) -> set[str]:
    objects = everything(sim, RESOURCE[entity])
    if entity == "payment":  # money received: captured, successful charges
        objects = [c for c in objects if c["status"] == "succeeded" and c["captured"]]
    return {o["id"] for o in objects}


def assert_mirrors(sim: Simulator, engine: Engine) -> None:
    """The store holds exactly the account's objects, with the account's figures."""
    for entity in ENTITIES:
        assert set(stored(engine, entity, "stripe")) == expected_ids(sim, entity), entity
    invoices = stored(engine, "invoice", "stripe")
    for inv in everything(sim, "invoices"):
        mine = invoices[inv["id"]]
        assert mine["currency"] == inv["currency"].upper()
        assert mine["number"] == (inv["number"] or inv["id"])
        assert mine["status"].replace("partially_paid", "open") == inv["status"]
        cur = inv["currency"]
        assert Decimal(mine["total"]) == from_minor_units(inv["total"], cur)
        assert Decimal(mine["balance"]) == from_minor_units(inv["amount_remaining"], cur)
        assert len(mine["lines"]) >= len(inv["lines"]["data"])
    paid = {(p["invoice"], p["payment"]["payment_intent"]): p["amount_paid"]
            for p in everything(sim, "invoice_payments", status="paid")}
    charges = {c["id"]: c for c in everything(sim, "charges")}
    for ext, pay in stored(engine, "payment", "stripe").items():
        intent = charges[ext]["payment_intent"]
        mine = {a["invoice_ref"] for a in pay["applications"]}
        assert mine == {inv for inv, pi in paid if pi == intent}, ext
    for ext, payout in stored(engine, "payout", "stripe").items():
        txns = everything(sim, "balance_transactions", payout=ext)
        assert {t["ref"] for t in payout["transactions"]} == {
            t["id"] for t in txns if t["type"] != "payout"}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar() == 0


def test_full_then_incremental_sync_mirrors_the_account(
    simulator: tuple[Simulator, SimulatorServer],
    stripe_hub: tuple[SyncEngine, Engine, HubConfig],
) -> None:
    sim, server = simulator
    sync, engine, _ = stripe_hub
    first = sync.sync("stripe")
    assert first.status == "succeeded", first
    assert_mirrors(sim, engine)
    long_one = [i for i in everything(sim, "invoices") if i["lines"]["has_more"]]
    assert long_one, "the seeded company has an invoice with more than 10 lines"
    assert len(stored(engine, "invoice")[long_one[0]["id"]]["lines"]) == 12

    sim.reset_request_counts()
    again = sync.sync("stripe")
    assert all(counts(again, e)[:2] == (0, 0) for e in ENTITIES)
    assert sim.request_total <= 2 * len(ENTITIES), sim.request_counts

    client = server.client()
    cus = client.v1.customers.create({"name": "Late Arrival GmbH", "email": "ap@late.example"})
    inv = client.v1.invoices.create({"customer": cus.id, "collection_method": "send_invoice",
                                     "days_until_due": 14, "currency": "eur"})
    client.v1.invoices.add_lines(inv.id, {"lines": [{"amount": 12500, "description": "Audit"}]})
    client.v1.invoices.finalize_invoice(inv.id)
    client.v1.invoices.pay(inv.id, {"paid_out_of_band": True})
    sim.reset_request_counts()
    third = sync.sync("stripe")
    assert counts(third, "customer")[:2] == (1, 0)
    assert counts(third, "invoice")[:2] == (1, 0)
    assert all(counts(third, e)[:2] == (0, 0) for e in ("payment", "refund", "payout"))
    assert sim.request_total <= 2 * len(ENTITIES) + 3, sim.request_counts
    late = stored(engine, "invoice")[inv.id]
    assert (late["status"], late["total"], late["amount_paid"], late["balance"]) == (
        "paid", "125.00", "125.00", "0.00")
    assert_mirrors(sim, engine)


def test_a_customer_deleted_in_stripe_is_marked_deleted_by_the_next_sync(
    simulator: tuple[Simulator, SimulatorServer],
    stripe_hub: tuple[SyncEngine, Engine, HubConfig],
) -> None:
    sim, server = simulator
    sync, engine, _ = stripe_hub
    assert sync.sync("stripe").status == "succeeded"
    client = server.client()
    gone = client.v1.customers.create({"name": "Short Lived Ltd"})
    assert counts(sync.sync("stripe"), "customer")[0] == 1
    client.v1.customers.delete(gone.id)

    after = sync.sync("stripe")
    assert after.counts["customer"].deleted == 1 and counts(after, "customer")[:2] == (0, 0)
    assert gone.id not in stored(engine, "customer") and gone.id not in expected_ids(
        sim, "customer")
    assert_mirrors(sim, engine)
    with engine.connect() as conn:
        when = conn.execute(sa.select(records.c.deleted_at).where(
            records.c.external_id == gone.id)).scalar_one()
    assert when is not None  # kept, marked with the time

    again = sync.sync("stripe")  # nothing new: nothing marked twice
    assert again.counts.get("customer", EntityCounts()).deleted == 0


def _pull(config: HubConfig, entity: str, cursor: str | None
          ) -> list[tuple[list[CanonicalRecord], str | None]]:
    connector = connector_of(config, "stripe", registry=load_plugins())
    return [(list(p.records), p.cursor) for p in connector.pull(entity, cursor)]


def test_a_pull_resumed_from_any_saved_cursor_ends_with_the_same_records(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = Simulator(seed=12)
    seed_company(sim, CompanyPlan(customers=20, invoices=2400, days=200, seed=6,
                                  payout_every_days=None))
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    with SimulatorServer(sim) as server, hub(tmp_path, store_url,
                                             BODY.format(url=server.url)) as (_, _, config):
        pages = _pull(config, "invoice", None)
        everyone = [r.external_id for recs, _ in pages for r in recs]
        assert sorted(everyone) == sorted(expected_ids(sim, "invoice"))  # each exactly once
        first = json.loads(pages[0][1] or "{}")
        assert len(first["slices"]) >= 4  # read in slices, several at a time
        for k in (0, 1, len(pages) // 2, len(pages) - 2):
            cursor = pages[k][1]
            assert cursor is not None and json.loads(cursor)["mode"] == "full"
            before = [r.external_id for recs, _ in pages[:k + 1] for r in recs]
            after = [r.external_id for recs, _ in _pull(config, "invoice", cursor)
                     for r in recs]
            assert sorted(before + after) == sorted(everyone), k
        final = json.loads(pages[-1][1] or "{}")
        assert final["mode"] == "events"
        # progress: objects read against the history's estimated size, exact at the end
        connector = connector_of(config, "stripe", registry=load_plugins())
        shown = [p.progress for p in connector.pull("invoice", None)]
        assert all(p is not None and 0 < p[0] <= p[1] for p in shown)
        assert shown[-1] == (len(everyone), len(everyone))
        assert [p[0] for p in shown if p] == sorted(p[0] for p in shown if p)


def test_a_cursor_older_than_stripe_keeps_events_means_a_full_read(
    simulator: tuple[Simulator, SimulatorServer],
    stripe_hub: tuple[SyncEngine, Engine, HubConfig],
) -> None:
    sim, _ = simulator
    _, _, config = stripe_hub
    stale = json.dumps({"mode": "events", "since": 1_600_000_000, "seen": []})
    pages = _pull(config, "customer", stale)
    assert {r.external_id for recs, _ in pages for r in recs} == expected_ids(sim, "customer")


def test_with_one_request_in_ten_failing_the_store_still_mirrors_the_account(
    simulator: tuple[Simulator, SimulatorServer],
    stripe_hub: tuple[SyncEngine, Engine, HubConfig],
) -> None:
    sim, server = simulator
    sync, engine, _ = stripe_hub
    sim.faults = Faults(rate_limit=0.04, server_error=0.03, drop=0.03, retry_after=0, seed=3)
    first = sync.sync("stripe")
    assert first.status == "succeeded", first
    assert sum(sim.injected.values()) > 0, "faults were injected"
    assert_mirrors(sim, engine)

    sim.faults = Faults()
    client = server.client()
    open_one = next(i for i in everything(sim, "invoices") if i["status"] == "open")
    client.v1.invoices.pay(open_one["id"], {"paid_out_of_band": True})
    sim.faults = Faults(rate_limit=0.04, server_error=0.03, drop=0.03, retry_after=0, seed=4)
    second = sync.sync("stripe")
    assert second.status == "succeeded", second
    assert counts(second, "invoice")[:2] == (0, 1)
    assert stored(engine, "invoice")[open_one["id"]]["status"] == "paid"
    assert_mirrors(sim, engine)


def test_both_ways_of_reading_an_answer_give_the_same_objects_and_errors(
    simulator: tuple[Simulator, SimulatorServer], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, server = simulator
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    config = StripeConfig.model_validate({"api_key": "env:BH_TEST_STRIPE_KEY",
                                          "api_base": server.url, "max_attempts": 1})
    fast, plain = StripeApi(config), StripeApi(config, fast_json=False)
    query = {"limit": 7, "expand": ["data.customer"]}
    assert fast.list_page("invoices", query) == plain.list_page("invoices", query)
    for api in (fast, plain):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            api.retrieve("invoices", "in_missing")
        assert exc.value.http_status == 404


def test_an_unreachable_stripe_fails_the_run_with_what_to_do(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    body = BODY.format(url="http://127.0.0.1:9").replace("max_attempts = 8", "max_attempts = 2")
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        with pytest.raises(StripeUnavailable) as exc:
            sync.sync("stripe")
        assert "after 2 tries" in str(exc.value) and exc.value.hint
        with engine.connect() as conn:
            status, error = conn.execute(sa.select(runs.c.status, runs.c.error)).one()
        assert status == "failed" and "Stripe did not answer" in error


def test_a_refused_key_is_named_but_never_shown(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "sk_test_51WrongKeyThatMustNeverBeShown"
    sim = Simulator(seed=1, api_keys={DEFAULT_API_KEY})
    with SimulatorServer(sim) as server:
        monkeypatch.setenv("BH_TEST_STRIPE_KEY", secret)
        with hub(tmp_path, store_url, BODY.format(url=server.url)) as (sync, engine, _):
            with pytest.raises(StripeRefused) as exc:
                sync.sync("stripe")
            with engine.connect() as conn:
                (error,) = conn.execute(sa.select(runs.c.error)).one()
    shown = f"{exc.value} {exc.value.hint} {error}"
    assert "refused the API key" in shown and "environment variable" in shown
    assert secret not in shown and secret[8:] not in shown


def test_an_invoice_paid_by_card_later_brings_its_payment_applied_to_it(
    simulator: tuple[Simulator, SimulatorServer],
    stripe_hub: tuple[SyncEngine, Engine, HubConfig],
) -> None:
    sim, server = simulator
    sync, engine, _ = stripe_hub
    sync.sync("stripe")
    open_one = next(i for i in everything(sim, "invoices")
                    if i["status"] == "open" and i["amount_paid"] == 0)
    server.client().v1.invoices.pay(open_one["id"], {"payment_method": "pm_card_visa"})
    sim.reset_request_counts()
    later = sync.sync("stripe")
    assert counts(later, "invoice")[:2] == (0, 1)
    assert counts(later, "payment")[:2] == (1, 0)
    # the invoice payment's event led to its charge, by payment intent
    assert sim.request_counts.get("GET /v1/charges", 0) >= 1, sim.request_counts
    (pay,) = [p for p in stored(engine, "payment").values()
              if any(a["invoice_ref"] == open_one["id"] for a in p["applications"])]
    cur = open_one["currency"]
    assert Decimal(pay["amount"]) == from_minor_units(open_one["amount_remaining"], cur)
    assert pay["unapplied"] == str(from_minor_units(0, cur))
    assert_mirrors(sim, engine)


def test_since_leaves_older_history_out_of_a_full_sync(
    simulator: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, server = simulator
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    invoices = everything(sim, "invoices")
    created = sorted(i["created"] for i in invoices)
    cut = created[len(created) // 2]
    day = datetime.fromtimestamp(cut, UTC).date()
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    body = BODY.format(url=server.url) + f"since = {day.isoformat()}\n"
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        sync.sync("stripe", entities=["invoice"])
        kept = set(stored(engine, "invoice"))
    assert kept == {i["id"] for i in invoices if i["created"] >= start}
    assert 0 < len(kept) < len(invoices)
