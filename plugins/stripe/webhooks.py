"""Stripe webhook deliveries: verified, taken once, turned into what to sync.

A delivery is trusted only when its ``Stripe-Signature`` (HMAC-SHA256 of
``"<t>.<body>"`` with the endpoint's ``whsec_`` secret, checked by the stripe
SDK) matches and its timestamp is within the tolerance, so a captured delivery
cannot be replayed later. Stripe itself may deliver an event twice and out of
order: an event id already taken in is answered as a duplicate and not acted
on again, and the event only says *which* object changed: the connector's
incremental sync reads it again, in whatever order the deliveries came.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import stripe

from hub.errors import HubError
from plugins.stripe.events import EVENT_TYPES

ENTITY_OF_EVENT: dict[str, str] = {
    event_type: entity for entity, types in EVENT_TYPES.items() for event_type in types
}
"""Which entity an event type says changed (``invoice.paid`` -> ``invoice``)."""


class WebhookRejected(HubError):
    """A delivery that is not (or no longer) Stripe's word: answer it with a 400."""


class SeenEvents(Protocol):
    """Remembers which event ids were taken in (the store keeps them for the hub)."""

    def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True unless it was recorded before."""


class RecentEvents:
    """:class:`SeenEvents` in memory, for the last ``size`` events (tests, one process)."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a verified delivery asks for: sync ``entity`` (None: nothing we pull)."""

    event_id: str
    event_type: str
    entity: str | None
    object_id: str | None
    duplicate: bool = False


class WebhookReceiver:
    """Checks deliveries for one endpoint secret."""

    def __init__(self, secret: str, *, tolerance: int = 300, seen: SeenEvents | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.tolerance = tolerance
        self.seen = seen if seen is not None else RecentEvents()
        self._clock = clock

    def receive(self, body: bytes, signature: str | None) -> Delivery:
        """Verify one delivery; raise :class:`WebhookRejected` with the reason if it fails."""
        self._verify(body, signature)
        try:
            event: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise WebhookRejected("the delivery is signed but its body is not JSON") from None
        if not isinstance(event, dict) or event.get("object") != "event" or not isinstance(
                event.get("id"), str) or not isinstance(event.get("type"), str):
            raise WebhookRejected("the delivery is signed but is not a Stripe event")
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        object_id = obj.get("id") if isinstance(obj, dict) else None
        return Delivery(
            event_id=event["id"], event_type=event["type"],
            entity=ENTITY_OF_EVENT.get(event["type"]),
            object_id=object_id if isinstance(object_id, str) else None,
            duplicate=not self.seen.first_time(event["id"]),
        )

    def _verify(self, body: bytes, signature: str | None) -> None:
        try:  # the SDK compares the signatures (in constant time); the age is checked below
            stripe.WebhookSignature.verify_header(body, signature, self._secret,
                                                  tolerance=None)
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(
                f"the Stripe-Signature does not match ({exc.user_message or 'no match'})",
                hint="check that webhook_secret is this endpoint's signing secret (whsec_...)",
            ) from None
        stamp = _timestamp(signature)
        now = self._clock()
        if stamp is None or stamp < now - self.tolerance:
            age = "with no time" if stamp is None else f"{int(now - stamp)} s ago"
            raise WebhookRejected(
                f"the delivery was signed {age}, outside the {self.tolerance} s allowed: "
                "a replay of an old delivery, or a clock far off")


def _timestamp(header: str | None) -> int | None:
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None
