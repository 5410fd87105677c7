"""Webhook deliveries of the changes the simulator recorded, signed as Intuit signs them.

Two body formats (both signed the same way: header ``intuit-signature`` =
base64 of HMAC-SHA256 over the raw body, keyed by the app's verifier token):

- :func:`cloudevents` (current, since 15 May 2026): a JSON array of
  CloudEvents ``{"specversion": "1.0", "id", "source", "type":
  "qbo.invoice.created.v1", "time", "intuitaccountid", "intuitentityid",
  "datacontenttype", "data": {}}``;
- :func:`event_notifications` (older): ``{"eventNotifications": [{"realmId",
  "dataChangeEvent": {"entities": [{"name", "id", "operation",
  "lastUpdated"}]}}]}``.

Neither carries the object: the receiver fetches it (by id or through CDC).

    changes = server.sim.changes()
    deliver(url, cloudevents(changes, server.realm_id), server.verifier_token)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from typing import Any

import httpx

from plugins.quickbooks.simulator.clock import parse_time
from plugins.quickbooks.simulator.company import Change
from plugins.quickbooks.simulator.wire import dumps

SIGNATURE_HEADER = "intuit-signature"
PAST_TENSE = {"Create": "created", "Update": "updated", "Delete": "deleted",
              "Void": "voided", "Merge": "merged", "Emailed": "emailed"}


def sign(body: bytes, verifier_token: str) -> str:
    """The ``intuit-signature`` of ``body``: base64 of HMAC-SHA256 keyed by the token."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def cloudevents(changes: Sequence[Change], realm_id: str) -> list[dict[str, Any]]:
    """The current format: one CloudEvent per change."""
    events = []
    for change in changes:
        moment = parse_time(change.time)
        events.append({
            "specversion": "1.0",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"qbo:{realm_id}:{change.entity}:"
                                 f"{change.id}:{change.operation}:{change.time}")),
            "source": f"intuit.qbo.{realm_id}",
            "type": f"qbo.{change.entity.lower()}.{PAST_TENSE[change.operation]}.v1",
            "datacontenttype": "application/json",
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "intuitentityid": change.id,
            "intuitaccountid": realm_id,
            "data": {},
        })
    return events


def event_notifications(changes: Sequence[Change], realm_id: str) -> dict[str, Any]:
    """The older format: one notification for the realm listing every change."""
    entities = [{"name": c.entity, "id": c.id, "operation": c.operation,
                 "lastUpdated": _compact_offset(c.time)} for c in changes]
    return {"eventNotifications": [{"realmId": realm_id,
                                    "dataChangeEvent": {"entities": entities}}]}


def body_of(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else dumps(payload).encode()


def deliver(url: str, payload: Any, verifier_token: str, *, client: httpx.Client | None = None,
            timeout: float = 3.0, signature: str | None = None) -> httpx.Response:
    """POST one delivery (a built payload or raw bytes) signed with ``verifier_token``;
    ``signature`` overrides the header (to test that a bad one is refused)."""
    body = body_of(payload)
    headers = {"Content-Type": "application/json",
               SIGNATURE_HEADER: signature if signature is not None else sign(body,
                                                                              verifier_token)}
    if client is not None:
        return client.post(url, content=body, headers=headers, timeout=timeout)
    with httpx.Client() as own:
        return own.post(url, content=body, headers=headers, timeout=timeout)


def _compact_offset(stamp: str) -> str:
    """``2026-11-20T10:15:00-08:00`` -> ``2026-11-20T10:15:00-0800`` as Intuit's
    notification sample writes it."""
    if len(stamp) > 6 and stamp[-3] == ":" and stamp[-6] in "+-":
        return stamp[:-3] + stamp[-2:]
    return stamp
