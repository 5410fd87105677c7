"""Writing changes into the outbox, in the caller's transaction.

Whatever causes a change (a mirror rule, a coordinator's click) calls
:func:`enqueue` with its own connection, so the change is queued if and only
if the cause is committed. The row carries the deterministic key of
:func:`hub.contract.connector.idempotency_key`: queueing the same change again finds
the key taken and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from hub.contract.pushing import PushOperation, idempotency_key
from hub.models import ENTITY_MODELS, CanonicalRecord
from hub.store import Connection
from hub.store import outbox as store_outbox
from hub.store.outbox import CONFLICT, DECLINED, FAILED, PENDING, REJECTED, SENT, SUPERSEDED

__all__ = ["CONFLICT", "DECLINED", "FAILED", "PENDING", "REJECTED", "SENT", "SUPERSEDED",
           "Queued", "enqueue",
           "pending_count", "record_of", "result_of", "supersede"]


@dataclass(frozen=True, slots=True)
class Queued:
    """One change handed to :func:`enqueue`: its key and whether it was new."""

    idempotency_key: str
    new: bool


def enqueue(conn: Connection, *, target: str, operation: PushOperation, record: CanonicalRecord,
            record_id: int | None, now: datetime) -> Queued:
    """Queue ``operation`` of ``record`` for connector ``target`` (nothing if already queued).

    The payload is the record's canonical JSON (its raw payload left out: the
    key does not cover it, and the target needs only the canonical content).
    """
    key = idempotency_key(target, operation.value, record)
    new = store_outbox.add_once(conn, target=target, entity=record.entity,
                                operation=operation.value, record_id=record_id,
                                payload=record.model_dump_json(exclude={"raw"}), key=key,
                                now=now)
    return Queued(key, new)


def record_of(entity: str, payload: str) -> CanonicalRecord:
    """The canonical record an outbox row (or a stored record's ``data``) carries."""
    return ENTITY_MODELS[entity].model_validate_json(payload)


def supersede(conn: Connection, row_ids: list[int], by: str) -> None:
    """Retire rows never sent, replaced by the change with key ``by``."""
    store_outbox.supersede(conn, row_ids, f"replaced before it was sent by the newer change {by}")


def result_of(text: str | None) -> dict[str, Any]:
    """A row's ``result`` JSON as a dict (empty when there is none)."""
    if not text:
        return {}
    data = orjson.loads(text)
    return data if isinstance(data, dict) else {}


def pending_count(conn: Connection, target: str | None = None) -> int:
    """Changes still waiting to be sent (to ``target``, or anywhere)."""
    return store_outbox.count_pending(conn, target=target)
