"""The webhook endpoint, served by uvicorn on a free local port, receiving the Stripe
simulator's signed deliveries over HTTP: a change in Stripe reaches the store
through the connector's incremental sync; forged, stale and replayed deliveries
change nothing; a burst of events is one sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import console
from hub.cli.app import run
from hub.config import HubConfig
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store.clock import as_utc
from hub.store.schema import records, runs, webhook_deliveries
from hub.sync.webhooks import WebhookProcessor
from hub.web.app import create_app
from hub.web.server import ServerThread
from plugins.stripe.simulator import (
    DEFAULT_API_KEY,
    CompanyPlan,
    Faults,
    Simulator,
    SimulatorServer,
    seed_company,
    sign,
)
from tests.support.hub import hub, stored, wait_for

SECRET = "whsec_endpoint_test_secret_0123456789"
BODY = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000
max_attempts = 1                   # a failing Stripe fails the sync at once
webhook_secret = "env:BH_TEST_STRIPE_WHSEC"

[connectors.books]
type = "csv"

[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
columns = {{ number = "Number", customer_name = "Customer", issue_date = "Date", total = "Total" }}
defaults = {{ currency = "USD" }}

[web]
debounce_seconds = 0.05
max_body_bytes = 4096
"""


@dataclass
class Setup:
    sim: Simulator
    engine: Engine
    config: HubConfig
    tmp_path: Path

    def serve(self, *, process: bool) -> ServerThread:
        app = create_app(Hub(self.config, load_plugins(), self.engine), process_webhooks=process)
        return ServerThread(app)

    def rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id))]

    def sync_runs(self) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(runs.c.id).where(
                runs.c.kind == "sync", runs.c.connector == "stripe").order_by(runs.c.id))
                .scalars())

    def event(self, event_type: str) -> dict[str, Any]:
        found: dict[str, Any] = next(
            e for e in self.sim.api("GET", "/v1/events", {"limit": 100})["data"]
            if e["type"] == event_type)
        return found


@pytest.fixture
def setup(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("BH_TEST_STRIPE_WHSEC", SECRET)
    (tmp_path / "invoices.csv").write_text("Number,Customer,Date,Total\n", encoding="utf-8")
    sim = Simulator(seed=21)
    seed_company(sim, CompanyPlan(customers=3, invoices=6, days=20, seed=3,
                                  payout_every_days=None))
    with SimulatorServer(sim) as server, hub(tmp_path, store_url,
                                             BODY.format(url=server.url)) as (sync, engine,
                                                                              config):
        first = sync.sync("stripe")  # the full read; webhooks then lead to incremental ones
        assert first.status == "succeeded"
        yield Setup(sim, engine, config, tmp_path)


def _open_invoice(sim: Simulator) -> dict[str, Any]:
    found = sim.api("GET", "/v1/invoices", {"limit": 100, "status": "open"})["data"]
    assert found, "the seeded account has open invoices"
    return dict(found[0])


def test_an_invoice_paid_in_stripe_reaches_the_store_through_its_webhook(setup: Setup) -> None:
    invoice = _open_invoice(setup.sim)
    assert stored(setup.engine, "invoice", "stripe")[invoice["id"]]["status"] != "paid"
    before = setup.sync_runs()
    with setup.serve(process=True) as server:
        setup.sim.webhooks.add_endpoint(f"{server.url}/webhooks/stripe", secret=SECRET)
        setup.sim.api("POST", f"/v1/invoices/{invoice['id']}/pay", {"paid_out_of_band": True})
        sent = setup.sim.webhooks.deliver_pending()
        assert sent and all(d.status == 200 for d in sent), sent
        wait_for(lambda: all(r["status"] == "processed" for r in setup.rows()),
                 "the deliveries' sync")
    mine = stored(setup.engine, "invoice", "stripe")[invoice["id"]]
    assert mine["status"] == "paid" and Decimal(mine["balance"]) == 0
    rows = setup.rows()
    assert {r["delivery_id"] for r in rows} == {d.event_id for d in sent}
    new_runs = [r for r in setup.sync_runs() if r not in before]
    assert new_runs and {r["run_id"] for r in rows if r["hints"] != "[]"} <= set(new_runs)
    for row in rows:  # only the event id and the hints are kept: no body, no signature
        assert SECRET not in str(row) and "v1=" not in str(row)
        assert set(row) == {c.name for c in webhook_deliveries.columns}


def test_a_customer_deleted_in_stripe_is_marked_deleted_through_its_webhook(
        setup: Setup) -> None:
    customer = next(iter(stored(setup.engine, "customer", "stripe")))
    with setup.serve(process=True) as server:
        setup.sim.webhooks.add_endpoint(f"{server.url}/webhooks/stripe", secret=SECRET)
        setup.sim.api("DELETE", f"/v1/customers/{customer}", {})
        sent = setup.sim.webhooks.deliver_pending()
        assert [d.status for d in sent] == [200], sent
        wait_for(lambda: all(r["status"] == "processed" for r in setup.rows()),
                 "the deliveries' sync")
    assert customer not in stored(setup.engine, "customer", "stripe")
    with setup.engine.connect() as conn:
        assert conn.execute(sa.select(records.c.deleted_at).where(
            records.c.external_id == customer)).scalar_one() is not None


def test_forged_and_stale_deliveries_are_refused_and_not_recorded(setup: Setup) -> None:
    event = setup.event("invoice.finalized")
    with setup.serve(process=False) as server:
        endpoint = setup.sim.webhooks.add_endpoint(f"{server.url}/webhooks/stripe",
                                                   secret=SECRET)
        forged = setup.sim.webhooks.deliver(event["id"], secret="whsec_someone_else")
        stale = setup.sim.webhooks.deliver(event["id"], timestamp=int(time.time()) - 301)
        assert [d.status for d in forged + stale] == [400, 400]
        body = setup.sim.webhooks.payload(event["id"])
        url = f"{server.url}/webhooks/stripe"
        answers = {
            "forged": httpx.post(url, content=body, headers={
                "Stripe-Signature": sign(body, "whsec_someone_else", int(time.time()))}),
            "stale": httpx.post(url, content=body, headers={
                "Stripe-Signature": sign(body, SECRET, int(time.time()) - 301)}),
            "unsigned": httpx.post(url, content=body),
            "not json": httpx.post(url, content=b"{oops", headers={
                "Stripe-Signature": sign(b"{oops", SECRET, int(time.time()))}),
        }
        for name, answer in answers.items():
            assert answer.status_code == 400, name
            assert answer.json()["error"] == "rejected", name
            assert SECRET not in answer.text and "webhook_secret" not in answer.text, name
        assert "does not match" in answers["forged"].json()["reason"]
        assert "outside the 300 s allowed" in answers["stale"].json()["reason"]
        assert "not JSON" in answers["not json"].json()["reason"]
        assert setup.rows() == []
        # the refused copies did not use up the event: the genuine delivery is taken in
        (genuine,) = setup.sim.webhooks.deliver(event["id"], endpoint_id=endpoint.id)
        assert genuine.status == 200
    assert [r["delivery_id"] for r in setup.rows()] == [event["id"]]


def test_the_same_delivery_twice_is_one_record_and_one_sync(setup: Setup) -> None:
    event = setup.event("invoice.finalized")
    before = setup.sync_runs()
    with setup.serve(process=True) as server:
        setup.sim.webhooks.add_endpoint(f"{server.url}/webhooks/stripe", secret=SECRET)
        first, second = setup.sim.webhooks.deliver(event["id"], times=2)
        assert (first.status, second.status) == (200, 200)
        body = setup.sim.webhooks.payload(event["id"])
        third = httpx.post(f"{server.url}/webhooks/stripe", content=body, headers={
            "Stripe-Signature": sign(body, SECRET, int(time.time()))})
        assert third.status_code == 200 and third.json() == {"received": True,
                                                             "duplicate": True}
        wait_for(lambda: [r["status"] for r in setup.rows()] == ["processed"], "the sync")
    rows = setup.rows()
    assert [r["delivery_id"] for r in rows] == [event["id"]]
    new_runs = [r for r in setup.sync_runs() if r not in before]
    assert new_runs == [rows[0]["run_id"]]


def test_a_burst_of_a_hundred_events_is_one_sync(setup: Setup) -> None:
    before = setup.sync_runs()
    with setup.serve(process=False) as server:
        setup.sim.webhooks.add_endpoint(f"{server.url}/webhooks/stripe", secret=SECRET)
        made = [setup.sim.api("POST", "/v1/customers", {"name": f"Burst {n:03d} SARL"})["id"]
                for n in range(100)]
        sent = setup.sim.webhooks.deliver_pending()
        assert len(sent) == 100 and all(d.status == 200 for d in sent)
    rows = setup.rows()
    assert len(rows) == 100 and {r["status"] for r in rows} == {"pending"}
    outcome = WebhookProcessor(Hub(setup.config, load_plugins(), setup.engine)).process()
    (result,) = outcome.results
    assert (result.connector, result.deliveries, result.entities) == ("stripe", 100,
                                                                      ["customer"])
    assert result.run is not None and result.run.counts["customer"].created == 100
    assert set(made) <= set(stored(setup.engine, "customer", "stripe"))
    assert {(r["status"], r["run_id"]) for r in setup.rows()} == {
        ("processed", result.run.run_id)}
    assert [r for r in setup.sync_runs() if r not in before] == [result.run.run_id]
    assert WebhookProcessor(Hub(setup.config, load_plugins(), setup.engine)).process().results == []


def test_unknown_instances_get_a_bare_404_and_big_bodies_413(setup: Setup) -> None:
    with setup.serve(process=False) as server:
        answers = [httpx.post(f"{server.url}{path}", content=b"{}") for path in (
            "/webhooks/nobody", "/webhooks/books", "/webhooks/", "/elsewhere")]
        assert [a.status_code for a in answers] == [404] * 4
        assert {a.text for a in answers} == {'{"error":"not found"}'}
        big = httpx.post(f"{server.url}/webhooks/stripe", content=b"x" * 5000)
        assert big.status_code == 413
        assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
        assert httpx.get(f"{server.url}/webhooks/stripe").status_code == 405
    assert setup.rows() == []


def test_a_failed_sync_keeps_its_deliveries_and_is_tried_again(
    setup: Setup, monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = setup.event("invoice.finalized")
    with setup.serve(process=False) as server:
        setup.sim.webhooks.add_endpoint(f"{server.url}/webhooks/stripe", secret=SECRET)
        assert setup.sim.webhooks.deliver(event["id"])[0].status == 200
    setup.sim.faults = Faults(server_error=1.0)  # Stripe answers nothing but 500s for now
    failing = WebhookProcessor(Hub(setup.config, load_plugins(), setup.engine), retry_seconds=30)
    (result,) = failing.process().results
    assert result.error is not None and DEFAULT_API_KEY not in result.error
    (row,) = setup.rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 1, result.error)
    assert failing.process().results == []  # not due again yet
    setup.sim.faults = Faults()
    retry_at = as_utc(row["next_attempt_at"])
    assert retry_at is not None
    (again,) = failing.process(now=retry_at).results
    assert again.ok and again.run is not None
    (row,) = setup.rows()
    assert (row["status"], row["attempts"], row["run_id"]) == ("processed", 2, again.run.run_id)


def test_the_cli_processes_and_lists_deliveries(setup: Setup, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console.out, "width", 250)  # rows on one line each
    event = setup.event("invoice.finalized")
    with setup.serve(process=False) as server:
        setup.sim.webhooks.add_endpoint(f"{server.url}/webhooks/stripe", secret=SECRET)
        assert setup.sim.webhooks.deliver(event["id"])[0].status == 200
    config = str(setup.tmp_path / "billing-hub.toml")
    assert run(["--config", config, "webhooks", "list"]) == 0
    listed = capsys.readouterr().out
    assert event["id"] in listed and "pending" in listed and "invoice" in listed
    assert run(["--config", config, "webhooks", "process"]) == 0
    processed = capsys.readouterr().out
    assert "stripe: 1 deliveries -> invoice (run" in processed
    assert run(["--config", config, "webhooks", "list", "--status", "processed"]) == 0
    assert event["id"] in capsys.readouterr().out
    assert run(["--config", config, "webhooks", "process"]) == 0
    assert "No webhook delivery waits" in capsys.readouterr().out


def test_what_is_stored_comes_from_stripe_not_from_the_delivery(setup: Setup) -> None:
    """Even a correctly signed delivery only says *what* to sync: its sync reads Stripe's
    events from the saved cursor and the objects themselves, never the body."""
    invoice = _open_invoice(setup.sim)
    setup.sim.reset_request_counts()
    before = stored(setup.engine, "invoice", "stripe")
    claim = orjson.dumps({
        "id": "evt_claims_more_than_stripe_knows", "object": "event", "type": "invoice.paid",
        "created": int(time.time()), "data": {"object": {
            "id": invoice["id"], "object": "invoice", "status": "paid",
            "amount_paid": 99_999_999, "amount_remaining": 0}}})
    with setup.serve(process=False) as server:
        answer = httpx.post(f"{server.url}/webhooks/stripe", content=claim, headers={
            "Stripe-Signature": sign(claim, SECRET, int(time.time()))})
    assert answer.json() == {"received": True, "duplicate": False, "changes": 1}
    (result,) = WebhookProcessor(Hub(setup.config, load_plugins(), setup.engine)).process().results
    assert result.entities == ["invoice"] and result.run is not None
    counts = result.run.counts["invoice"]
    assert (counts.created, counts.updated) == (0, 0)
    assert stored(setup.engine, "invoice", "stripe") == before  # still open, as Stripe says
    assert setup.sim.request_counts.get("GET /v1/events", 0) >= 1
