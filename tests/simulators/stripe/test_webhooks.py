"""Signed webhook deliveries, checked with the SDK's own verifier
(``stripe.Webhook.construct_event``), delivered twice, out of order, retried."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from plugins.stripe.simulator import Simulator, sign


@dataclass
class Receiver:
    """A local endpoint that records what it is sent and answers ``status``."""

    url: str = ""
    status: int = 200
    received: list[tuple[bytes, str]] = field(default_factory=list)

    @property
    def event_ids(self) -> list[str]:
        return [json.loads(body)["id"] for body, _ in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(box.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/stripe"
    yield box
    server.shutdown()
    server.server_close()
    thread.join()


def test_deliveries_are_signed_as_stripe_signs_them(sim: Simulator, receiver: Receiver) -> None:
    endpoint = sim.webhooks.add_endpoint(receiver.url)
    assert endpoint.secret.startswith("whsec_")
    customer = sim.api("POST", "/v1/customers", {"name": "Hooked"})
    [event_id] = sim.webhooks.pending()
    event = sim.api("GET", f"/v1/events/{event_id}")
    assert event["pending_webhooks"] == 1
    [delivery] = sim.webhooks.deliver_pending()
    assert delivery.ok and sim.webhooks.pending() == []
    [(body, header)] = receiver.received
    assert header.startswith("t=") and ",v1=" in header
    verified = stripe.Webhook.construct_event(body, header, endpoint.secret)
    assert verified.id == event_id and verified.type == "customer.created"
    assert verified.data.object.id == customer["id"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_not_the_secret")


def test_a_forged_or_stale_delivery_fails_verification(sim: Simulator,
                                                       receiver: Receiver) -> None:
    endpoint = sim.webhooks.add_endpoint(receiver.url)
    sim.api("POST", "/v1/customers", {"name": "x"})
    [event_id] = sim.webhooks.pending()
    sim.webhooks.deliver(event_id, secret="whsec_forged")
    sim.webhooks.deliver(event_id, timestamp=int(time.time()) - 600)
    (forged, forged_header), (stale, stale_header) = receiver.received
    with pytest.raises(stripe.SignatureVerificationError, match="No signatures found"):
        stripe.Webhook.construct_event(forged, forged_header, endpoint.secret)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(stale, stale_header, endpoint.secret)
    assert stripe.Webhook.construct_event(stale, stale_header, endpoint.secret, tolerance=900)


def test_twice_and_out_of_order(sim: Simulator, receiver: Receiver) -> None:
    sim.webhooks.add_endpoint(receiver.url)
    for name in ("a", "b", "c"):
        sim.api("POST", "/v1/customers", {"name": name})
    created = sim.webhooks.pending()
    sim.webhooks.deliver_pending(order="reversed", twice=True)
    assert receiver.event_ids == [x for x in created[::-1] for _ in range(2)]
    assert sim.webhooks.pending() == []
    sim.webhooks.deliver(created[0], times=2)
    assert receiver.event_ids[-2:] == [created[0], created[0]]


def test_shuffled_order_is_reproducible(sim: Simulator, receiver: Receiver) -> None:
    sim.webhooks.add_endpoint(receiver.url)
    for index in range(8):
        sim.api("POST", "/v1/customers", {"name": f"c{index}"})
    created = sim.webhooks.pending()
    sim.webhooks.deliver_pending(order="shuffled", seed=4)
    first = receiver.event_ids
    assert sorted(first) == sorted(created) and first != created
    import random
    expected = list(created)
    random.Random(4).shuffle(expected)
    assert first == expected


def test_failed_deliveries_stay_pending_and_are_retried(sim: Simulator,
                                                        receiver: Receiver) -> None:
    sim.webhooks.add_endpoint(receiver.url)
    sim.api("POST", "/v1/customers", {"name": "x"})
    receiver.status = 500
    [failed] = sim.webhooks.deliver_pending()
    assert failed.status == 500 and not failed.ok and len(sim.webhooks.pending()) == 1
    receiver.status = 204
    [done] = sim.webhooks.deliver_pending()
    assert done.ok and sim.webhooks.pending() == []


def test_an_unreachable_endpoint_is_recorded_as_an_error(sim: Simulator) -> None:
    sim.webhooks.add_endpoint("http://127.0.0.1:9/nowhere")
    sim.api("POST", "/v1/customers", {"name": "x"})
    [delivery] = sim.webhooks.deliver_pending()
    assert delivery.status is None and delivery.error and sim.webhooks.pending()


def test_endpoints_receive_only_the_events_they_want(sim: Simulator,
                                                     receiver: Receiver) -> None:
    sim.webhooks.add_endpoint(receiver.url, enabled_events=("invoice.created",))
    customer = sim.api("POST", "/v1/customers", {"name": "x"})
    sim.api("POST", "/v1/invoices", {"customer": customer["id"]})
    sim.webhooks.deliver_pending()
    assert [json.loads(b)["type"] for b, _ in receiver.received] == ["invoice.created"]
    events = sim.api("GET", "/v1/events")["data"]
    assert {e["type"]: e["pending_webhooks"] for e in events} == {
        "invoice.created": 1, "customer.created": 0}


def test_background_delivery_follows_events(sim: Simulator, receiver: Receiver) -> None:
    sim.webhooks.add_endpoint(receiver.url)
    sim.webhooks.start(retry_delay=0.05)
    try:
        sim.api("POST", "/v1/customers", {"name": "live"})
        deadline = time.monotonic() + 5
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        sim.webhooks.stop()
    assert len(receiver.received) == 1 and sim.webhooks.pending() == []


def test_sign_matches_the_sdk() -> None:
    body = b'{"id": "evt_1"}'
    header = sign(body, "whsec_abc", 1_700_000_000)
    expected = stripe.WebhookSignature._compute_signature(  # the SDK's own HMAC
        "1700000000." + body.decode(), "whsec_abc")
    assert header == f"t=1700000000,v1={expected}"
