"""Stripe webhook deliveries from the simulator: verified, taken once, mapped to a sync."""

from __future__ import annotations

import time

import pytest

from plugins.stripe.simulator import Simulator, sign
from plugins.stripe.webhooks import RecentEvents, WebhookReceiver, WebhookRejected

SECRET = "whsec_test_endpoint_secret"


@pytest.fixture
def sim() -> Simulator:
    sim = Simulator(seed=5)
    customer = sim.api("POST", "/v1/customers", {"name": "Ana Trujillo"})
    invoice = sim.api("POST", "/v1/invoices", {"customer": customer["id"], "currency": "usd"})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/add_lines",
            {"lines": [{"amount": 5000, "description": "Consulting"}]})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/finalize", {})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/pay", {})
    return sim


def _events(sim: Simulator) -> dict[str, dict[str, object]]:
    return {e["type"]: e for e in sim.api("GET", "/v1/events", {"limit": 100})["data"]}


def test_a_signed_delivery_says_what_to_sync_once(sim: Simulator) -> None:
    receiver = WebhookReceiver(SECRET)
    paid = _events(sim)["invoice.paid"]
    body = sim.webhooks.payload(str(paid["id"]))
    delivery = receiver.receive(body, sign(body, SECRET, int(time.time())))
    assert (delivery.event_type, delivery.entity, delivery.duplicate) == (
        "invoice.paid", "invoice", False)
    assert delivery.object_id == paid["data"]["object"]["id"]  # type: ignore[index]
    # Stripe may deliver it twice: taken in once, then a duplicate
    again = receiver.receive(body, sign(body, SECRET, int(time.time())))
    assert again.duplicate and again.event_id == delivery.event_id


@pytest.mark.parametrize(("event_type", "entity"), [
    ("customer.created", "customer"), ("charge.succeeded", "payment"),
    ("invoice_payment.paid", "payment"), ("invoice.finalized", "invoice"),
])
def test_each_event_names_the_entity_to_sync(sim: Simulator, event_type: str,
                                             entity: str) -> None:
    event = _events(sim)[event_type]
    body = sim.webhooks.payload(str(event["id"]))
    delivery = WebhookReceiver(SECRET).receive(body, sign(body, SECRET, int(time.time())))
    assert delivery.entity == entity


def test_forged_stale_and_malformed_deliveries_are_rejected_with_a_reason(
    sim: Simulator,
) -> None:
    now = 1_800_000_000
    receiver = WebhookReceiver(SECRET, tolerance=300, clock=lambda: now)
    body = sim.webhooks.payload(str(_events(sim)["invoice.paid"]["id"]))
    with pytest.raises(WebhookRejected, match="does not match") as forged:
        receiver.receive(body, sign(body, "whsec_someone_else", now))
    assert forged.value.hint and "webhook_secret" in forged.value.hint
    with pytest.raises(WebhookRejected, match="does not match"):
        receiver.receive(body.replace(b"Consulting", b"Consultinh"), sign(body, SECRET, now))
    with pytest.raises(WebhookRejected, match="does not match"):
        receiver.receive(body, None)
    with pytest.raises(WebhookRejected, match=r"signed 301 s ago, outside the 300 s"):
        receiver.receive(body, sign(body, SECRET, now - 301))
    assert receiver.receive(body, sign(body, SECRET, now - 300)).entity == "invoice"
    with pytest.raises(WebhookRejected, match="body is not JSON"):
        receiver.receive(b"{not json", sign(b"{not json", SECRET, now))
    with pytest.raises(WebhookRejected, match="is not a Stripe event"):
        receiver.receive(b'{"object": "invoice"}', sign(b'{"object": "invoice"}', SECRET, now))


def test_the_memory_of_taken_events_is_bounded() -> None:
    seen = RecentEvents(size=2)
    assert [seen.first_time(x) for x in ("a", "b", "a", "c", "a")] == [
        True, True, False, True, False]  # "a", seen again, outlives "b"
    assert seen.first_time("b") is True  # forgotten: two newer ones came after it
