"""Signed webhook deliveries to configured endpoints.

Each event goes to every endpoint that wants its type, as a POST of the event's
JSON with ``Stripe-Signature: t=<unix>,v1=<hex>``: HMAC-SHA256 keyed by the
endpoint's ``whsec_`` secret over ``"<t>.<body>"`` (what
``stripe.Webhook.construct_event`` checks). Deliveries that get no 2xx stay
pending and are tried again.

By default nothing is sent until a test asks (:meth:`Webhooks.deliver_pending`,
:meth:`Webhooks.deliver`), which is also how a test gets what real Stripe
does unasked: an event delivered twice, or events out of order. With
:meth:`Webhooks.start` a background thread delivers as events happen (the
demo's way).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
import time
from dataclasses import dataclass
from typing import Literal

import httpx
import orjson

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator import shapes
from plugins.stripe.simulator.store import Store

Order = Literal["created", "reversed", "shuffled"]


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    url: str
    secret: str
    enabled_events: tuple[str, ...] = ("*",)

    def wants(self, event_type: str) -> bool:
        return any(x == "*" or x == event_type for x in self.enabled_events)


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one event to one endpoint."""

    event_id: str
    endpoint_id: str
    status: int | None
    error: str | None
    body: bytes
    signature: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value for ``body``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Webhooks:
    """The account's webhook endpoints and what each still has to receive."""

    def __init__(self, store: Store, *, timeout: float = 10.0) -> None:
        self._store = store
        self._lock = threading.Condition()
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._pending: dict[str, list[str]] = {}
        self._timeout = timeout
        self.deliveries: list[Delivery] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        store.event_listeners.append(self)

    # ------------------------------------------------------------ endpoints

    def add_endpoint(self, url: str, *, secret: str | None = None,
                     enabled_events: tuple[str, ...] = ("*",)) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            id=self._store.new_id("we_"), url=url,
            secret=secret or "whsec_" + self._store.new_id("", 32),
            enabled_events=enabled_events)
        with self._lock:
            self._endpoints[endpoint.id] = endpoint
            self._pending[endpoint.id] = []
        return endpoint

    def remove_endpoint(self, endpoint_id: str) -> None:
        with self._lock:
            self._endpoints.pop(endpoint_id, None)
            self._pending.pop(endpoint_id, None)

    @property
    def endpoints(self) -> list[WebhookEndpoint]:
        with self._lock:
            return list(self._endpoints.values())

    # ------------------------------------------------------------ EventListener

    def endpoints_for(self, event_type: str) -> int:
        with self._lock:
            return sum(1 for x in self._endpoints.values() if x.wants(event_type))

    def notify(self, event: r.Event) -> None:
        with self._lock:
            for endpoint in self._endpoints.values():
                if endpoint.wants(event.type):
                    self._pending[endpoint.id].append(event.id)
            self._lock.notify_all()

    # ------------------------------------------------------------ delivering

    def pending(self, endpoint_id: str | None = None) -> list[str]:
        """Event ids not yet delivered (to one endpoint, or to any)."""
        with self._lock:
            if endpoint_id is not None:
                return list(self._pending.get(endpoint_id, []))
            seen: dict[str, None] = {}
            for ids in self._pending.values():
                seen.update(dict.fromkeys(ids))
            return list(seen)

    def payload(self, event_id: str) -> bytes:
        with self._store.lock:
            event = self._store.events.get(event_id)
        if event is None:
            raise KeyError(event_id)
        return orjson.dumps(shapes.event(event))

    def deliver(self, event_id: str, *, endpoint_id: str | None = None, times: int = 1,
                timestamp: int | None = None, secret: str | None = None) -> list[Delivery]:
        """Send one event (again) now, ``times`` times, to one or every endpoint.

        ``timestamp`` and ``secret`` override the signature's, to test that a
        receiver refuses a stale or forged delivery.
        """
        with self._lock:
            targets = [x for x in self._endpoints.values()
                       if endpoint_id is None or x.id == endpoint_id]
        out: list[Delivery] = []
        for endpoint in targets:
            for _ in range(times):
                out.append(self._send(endpoint, event_id, timestamp, secret))
        return out

    def deliver_pending(self, *, order: Order = "created", twice: bool = False,
                        seed: int = 0) -> list[Delivery]:
        """Try every pending delivery once (twice each with ``twice``), in ``order``."""
        out: list[Delivery] = []
        with self._lock:
            work = [(endpoint, list(self._pending[endpoint.id]))
                    for endpoint in self._endpoints.values()]
        for endpoint, ids in work:
            if order == "reversed":
                ids.reverse()
            elif order == "shuffled":
                random.Random(seed).shuffle(ids)
            for event_id in ids:
                for _ in range(2 if twice else 1):
                    out.append(self._send(endpoint, event_id, None, None))
        return out

    def _send(self, endpoint: WebhookEndpoint, event_id: str, timestamp: int | None,
              secret: str | None) -> Delivery:
        body = self.payload(event_id)
        signature = sign(body, secret or endpoint.secret,
                         int(time.time()) if timestamp is None else timestamp)
        status: int | None = None
        error: str | None = None
        try:
            with httpx.Client(timeout=self._timeout) as client:
                answer = client.post(endpoint.url, content=body, headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": signature,
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                })
            status = answer.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        delivery = Delivery(event_id, endpoint.id, status, error, body, signature)
        with self._lock:
            self.deliveries.append(delivery)
            if delivery.ok and event_id in self._pending.get(endpoint.id, []):
                self._pending[endpoint.id].remove(event_id)
        return delivery

    # ------------------------------------------------------------ background

    def start(self, retry_delay: float = 1.0) -> None:
        """Deliver in the background as events happen (until :meth:`stop`)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(retry_delay,),
                                        name="stripe-sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        thread.join()
        self._thread = None

    def _run(self, retry_delay: float) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not any(self._pending.values()):
                    self._lock.wait(timeout=retry_delay)
                    continue
            failed = [d for d in self.deliver_pending() if not d.ok]
            if failed:
                self._stop.wait(retry_delay)
