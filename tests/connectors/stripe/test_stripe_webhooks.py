"""Stripe webhook deliveries from the simulator, through the connector: verified,
taken once, turned into what to sync."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.connectors.replay import MemoryReplayGuard
from hub.contract.webhooks import ChangeHint, WebhookDelivery
from hub.errors import WebhookSignatureError
from hub.plugins import load_plugins
from plugins.stripe.connector import StripeConnector
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, sign
from tests.support.hub import connector_of, hub

SECRET = "whsec_test_endpoint_secret"
NOW = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
BODY = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "http://127.0.0.1:9"
webhook_secret = "env:BH_TEST_STRIPE_WHSEC"
webhook_tolerance_seconds = 300
"""


@pytest.fixture
def sim() -> Simulator:
    sim = Simulator(seed=5)
    customer = sim.api("POST", "/v1/customers", {"name": "Ana Trujillo"})
    invoice = sim.api("POST", "/v1/invoices", {"customer": customer["id"], "currency": "usd"})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/add_lines",
            {"lines": [{"amount": 5000, "description": "Consulting"}]})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/finalize", {})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/pay", {})
    sim.api("DELETE", f"/v1/customers/{customer['id']}", {})
    return sim


@pytest.fixture
def connector(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("BH_TEST_STRIPE_WHSEC", SECRET)
    with hub(tmp_path, store_url, BODY) as (_, _, config):
        built = connector_of(config, "stripe", registry=load_plugins())
        assert isinstance(built, StripeConnector)
        yield built
        built.close()


def _event(sim: Simulator, event_type: str) -> dict[str, Any]:
    events = sim.api("GET", "/v1/events", {"limit": 100})["data"]
    found: dict[str, Any] = next(e for e in events if e["type"] == event_type)
    return found


def _delivery(sim: Simulator, event_id: str, *, signed_at: datetime = NOW,
              secret: str = SECRET, body: bytes | None = None) -> WebhookDelivery:
    payload = body if body is not None else sim.webhooks.payload(event_id)
    header = sign(payload, secret, int(signed_at.timestamp()))
    return WebhookDelivery({"stripe-signature": header}, payload, received_at=NOW)


def test_a_signed_delivery_says_what_to_sync_once(sim: Simulator, connector: Any) -> None:
    guard = MemoryReplayGuard()
    paid = _event(sim, "invoice.paid")
    receipt = connector.verify_webhook(_delivery(sim, paid["id"]), guard)
    assert receipt.delivery_id == paid["id"] and not receipt.duplicate
    assert receipt.hints == (ChangeHint("invoice", paid["data"]["object"]["id"]),)
    # Stripe may deliver it twice: the second one is a duplicate that asks for nothing
    again = connector.verify_webhook(_delivery(sim, paid["id"]), guard)
    assert again.duplicate and again.hints == ()


@pytest.mark.parametrize(("event_type", "entity", "deleted"), [
    ("customer.created", "customer", False), ("customer.deleted", "customer", True),
    ("charge.succeeded", "payment", False), ("invoice_payment.paid", "payment", False),
    ("invoice.finalized", "invoice", False),
])
def test_each_event_names_the_entity_to_sync(sim: Simulator, connector: Any, event_type: str,
                                             entity: str, deleted: bool) -> None:
    event = _event(sim, event_type)
    receipt = connector.verify_webhook(_delivery(sim, event["id"]), MemoryReplayGuard())
    assert [(h.entity, h.deleted) for h in receipt.hints] == [(entity, deleted)]


def test_forged_stale_and_malformed_deliveries_are_refused_and_not_remembered(
    sim: Simulator, connector: Any,
) -> None:
    guard = MemoryReplayGuard()
    paid = _event(sim, "invoice.paid")
    with pytest.raises(WebhookSignatureError, match="does not match") as forged:
        connector.verify_webhook(_delivery(sim, paid["id"], secret="whsec_other"), guard)
    assert forged.value.hint and "webhook_secret" in forged.value.hint
    assert SECRET not in f"{forged.value} {forged.value.hint}"
    body = sim.webhooks.payload(paid["id"])
    altered = WebhookDelivery(dict(_delivery(sim, paid["id"]).headers),
                              body.replace(b"Consulting", b"Consultinh"), received_at=NOW)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        connector.verify_webhook(altered, guard)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        connector.verify_webhook(WebhookDelivery({}, body, received_at=NOW), guard)
    stale = NOW.replace(minute=24, second=59)  # 301 s before it arrived
    with pytest.raises(WebhookSignatureError, match=r"signed 301 s before it arrived"):
        connector.verify_webhook(_delivery(sim, paid["id"], signed_at=stale), guard)
    for junk, reason in ((b"{not json", "not JSON"), (b'{"object": "invoice"}', "not a Stripe")):
        with pytest.raises(WebhookSignatureError, match=reason):
            connector.verify_webhook(_delivery(sim, paid["id"], body=junk), guard)
    # none of the refused ones was remembered: the genuine delivery is still taken in
    assert not connector.verify_webhook(_delivery(sim, paid["id"]), guard).duplicate


def test_without_a_webhook_secret_nothing_is_accepted(
    sim: Simulator, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    body = BODY.replace('webhook_secret = "env:BH_TEST_STRIPE_WHSEC"\n', "")
    with hub(tmp_path, store_url, body) as (_, _, config):
        connector = connector_of(config, "stripe", registry=load_plugins())
        paid = _event(sim, "invoice.paid")
        with pytest.raises(WebhookSignatureError, match="no webhook_secret") as exc:
            connector.verify_webhook(_delivery(sim, paid["id"]), MemoryReplayGuard())
        assert exc.value.hint and "env:NAME" in exc.value.hint
        connector.close()
