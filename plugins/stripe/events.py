"""Incremental sync from Stripe's Events API.

An event says *what* changed, not what it is now: its ``data.object`` is a
snapshot that may be stale and is never expanded, so every changed object is
read again. Events are compared by id, not by time alone: the cursor keeps
the creation second of the newest event taken in and the ids seen in that
second, and the next read asks for events from that second on. Stripe keeps
30 days of events; a cursor older than that means a full sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from plugins.stripe.api import Obj, StripeApi

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "customer": ("customer.created", "customer.updated", "customer.deleted"),
    "invoice": (
        "invoice.created", "invoice.updated", "invoice.finalized", "invoice.paid",
        "invoice.payment_succeeded", "invoice.voided", "invoice.marked_uncollectible",
        "invoice.deleted", "invoice.overdue",
    ),
    "payment": (
        "charge.succeeded", "charge.captured", "charge.updated", "charge.refunded",
        "charge.pending", "charge.failed", "invoice_payment.paid",
    ),
    "refund": ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"),
    "credit_note": ("credit_note.created", "credit_note.updated", "credit_note.voided"),
    "payout": (
        "payout.created", "payout.updated", "payout.paid", "payout.failed",
        "payout.canceled", "payout.reconciliation_completed",
    ),
    "dispute": (
        "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
        "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
    ),
}
"""The event types that say an entity's object changed (at most 20 each: Stripe's limit)."""


@dataclass(slots=True)
class EventCursor:
    """Events taken in up to second ``since`` (including the ids of that second)."""

    since: int
    seen: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Changes:
    """What a read of the events found: changed object ids in order, and the next cursor."""

    objects: list[Obj]
    cursor: EventCursor


def read(api: StripeApi, entity: str, cursor: EventCursor) -> Changes:
    """The objects of ``entity`` that events after ``cursor`` mention, oldest change first."""
    events = api.list_all("events", {"types": list(EVENT_TYPES[entity]),
                                     "created": {"gte": cursor.since}})
    already = set(cursor.seen)
    fresh = [e for e in events if e.get("id") not in already]
    fresh.sort(key=lambda e: (int(e.get("created", 0)), str(e.get("id"))))
    newest = max((int(e["created"]) for e in fresh), default=cursor.since)
    seen = sorted({str(e["id"]) for e in events if int(e.get("created", 0)) == newest}
                  | (already if newest == cursor.since else set()))
    return Changes([_object_of(e) for e in fresh], EventCursor(newest, seen))


def _object_of(event: Obj) -> Obj:
    data = event.get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def unique_ids(objects: Iterable[Obj], object_type: str) -> list[str]:
    """The ids of the objects of ``object_type``, each once, in order of first mention."""
    out: dict[str, None] = {}
    for obj in objects:
        if obj.get("object") == object_type and isinstance(obj.get("id"), str):
            out.setdefault(obj["id"], None)
    return list(out)
