"""QuickBooks Online webhook deliveries: verified, taken once, turned into what to sync.

QuickBooks signs the raw body: the ``intuit-signature`` header is the base64
HMAC-SHA256 of it, keyed by the app's verifier token (compared in constant
time). The signature carries no time, so a replayed delivery is caught only
by remembering what was taken in: the delivery's id is a digest of its body.
Two body formats arrive: the CloudEvents array QuickBooks sends since May
2026 (``qbo.invoice.updated.v1`` ...) and the older ``eventNotifications``
object, still accepted. Events of another company (realm) are ignored; an
event only says which object changed, and the connector's incremental sync
(change data capture) reads it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import orjson

from hub import (
    ChangeHint,
    ReplayGuard,
    WebhookDelivery,
    WebhookReceipt,
    WebhookSignatureError,
    body_digest,
)
from plugins.quickbooks.config import QBO_NAMES

ENTITY_OF_NAME = {name.lower(): entity for entity, name in QBO_NAMES.items()}
"""QuickBooks' object name, lowercased (``creditmemo``) -> the canonical entity."""

TOKEN_HINT = "check that `webhook_verifier_token` is the app's verifier token"


def signature(body: bytes, verifier_token: str) -> str:
    """The ``intuit-signature`` QuickBooks sends with ``body``."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(delivery: WebhookDelivery, replays: ReplayGuard, *, verifier_token: str,
           realm_id: str) -> WebhookReceipt:
    """Check one delivery; raise :class:`WebhookSignatureError` saying which check failed."""
    given = delivery.header("intuit-signature")
    if not given:
        raise WebhookSignatureError("the delivery has no intuit-signature header")
    if not hmac.compare_digest(given.strip().encode(),
                               signature(delivery.body, verifier_token).encode()):
        raise WebhookSignatureError("the intuit-signature does not match the body",
                                    hint=TOKEN_HINT)
    try:
        body: Any = orjson.loads(delivery.body)
    except orjson.JSONDecodeError:
        raise WebhookSignatureError("the delivery is signed but its body is not JSON") from None
    delivery_id = body_digest(delivery)
    if not replays.first_time(delivery_id):
        return WebhookReceipt(delivery_id, duplicate=True)
    hints = dict.fromkeys(_hints(body, realm_id))  # in order, once each
    return WebhookReceipt(delivery_id, hints=tuple(hints))


def _hints(body: Any, realm_id: str) -> Iterator[ChangeHint]:
    if isinstance(body, list):  # CloudEvents
        for event in body:
            if not isinstance(event, dict) or str(event.get("intuitaccountid")) != realm_id:
                continue
            parts = str(event.get("type") or "").split(".")  # qbo.invoice.updated.v1
            if len(parts) >= 3 and parts[0] == "qbo":
                yield from _hint(parts[1], event.get("intuitentityid"), parts[2] == "deleted")
        return
    if not isinstance(body, dict) or not isinstance(body.get("eventNotifications"), list):
        raise WebhookSignatureError(
            "the delivery is signed but is neither CloudEvents nor eventNotifications")
    for note in body["eventNotifications"]:
        if not isinstance(note, dict) or str(note.get("realmId")) != realm_id:
            continue
        change = note.get("dataChangeEvent")
        entities = change.get("entities") if isinstance(change, dict) else None
        for item in entities if isinstance(entities, list) else []:
            if isinstance(item, dict):
                yield from _hint(str(item.get("name") or ""), item.get("id"),
                                 item.get("operation") == "Delete")


def _hint(name: str, object_id: Any, deleted: bool) -> Iterator[ChangeHint]:
    entity = ENTITY_OF_NAME.get(name.lower())
    if entity is not None:
        yield ChangeHint(entity, str(object_id) if object_id not in (None, "") else None,
                         deleted=deleted)
