"""Stripe webhook deliveries: verified, taken once, turned into what to sync.

A delivery is trusted only when its ``Stripe-Signature`` (HMAC-SHA256 of
``"<t>.<body>"`` with the endpoint's ``whsec_`` secret, compared by the
stripe SDK) matches and its timestamp is within the tolerance of when the hub
received it, so a captured delivery cannot be replayed later. Stripe itself
may deliver an event twice and out of order: an event id already taken in
gives a duplicate receipt that asks for nothing, and an event only says
*which* object changed: the connector's incremental sync reads it again, in
whatever order the deliveries came.
"""

from __future__ import annotations

from typing import Any

import orjson
import stripe

from hub import ChangeHint, ReplayGuard, WebhookDelivery, WebhookReceipt, WebhookSignatureError
from plugins.stripe.events import EVENT_TYPES

ENTITY_OF_EVENT: dict[str, str] = {
    event_type: entity for entity, types in EVENT_TYPES.items() for event_type in types
}
"""Which entity an event type says changed (``invoice.paid`` -> ``invoice``)."""

SECRET_HINT = "check that webhook_secret is this endpoint's signing secret (whsec_...)"


def verify(delivery: WebhookDelivery, replays: ReplayGuard, *, secret: str,
           tolerance: int) -> WebhookReceipt:
    """Check one delivery; raise :class:`WebhookSignatureError` saying which check failed."""
    header = delivery.header("Stripe-Signature")
    try:
        delivery.body.decode("utf-8")  # the SDK decodes it first, and would raise
    except UnicodeDecodeError as exc:
        raise WebhookSignatureError(
            f"the body is not UTF-8 text (byte {exc.start}): not a Stripe event") from None
    try:  # the SDK compares the signatures in constant time; the age is checked below
        stripe.WebhookSignature.verify_header(delivery.body, header, secret, tolerance=None)
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureError(
            f"the Stripe-Signature does not match ({exc.user_message or 'no match'})",
            hint=SECRET_HINT) from None
    stamp = _timestamp(header)
    now = delivery.received_at.timestamp()
    if stamp is None or now - stamp > tolerance:  # as Stripe's own check: old, not future
        age = "with no time" if stamp is None else f"{int(now - stamp)} s before it arrived"
        raise WebhookSignatureError(
            f"the delivery was signed {age}, outside the {tolerance} s allowed: a replay of "
            "an old delivery, or a clock far off")
    event = _event(delivery.body)
    if not replays.first_time(event["id"]):
        return WebhookReceipt(event["id"], duplicate=True)
    entity = ENTITY_OF_EVENT.get(event["type"])
    if entity is None:
        return WebhookReceipt(event["id"])  # an event about something we do not pull
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    object_id = obj.get("id") if isinstance(obj, dict) else None
    deleted = event["type"].endswith(".deleted")
    return WebhookReceipt(event["id"], hints=(ChangeHint(
        entity, object_id if isinstance(object_id, str) else None, deleted=deleted),))


def _event(body: bytes) -> dict[str, Any]:
    try:
        event: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebhookSignatureError("the delivery is signed but its body is not JSON") from None
    if not isinstance(event, dict) or event.get("object") != "event" or not isinstance(
            event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookSignatureError("the delivery is signed but is not a Stripe event")
    return event


def _timestamp(header: str | None) -> int | None:
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None
