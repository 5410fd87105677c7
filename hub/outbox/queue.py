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
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.contract.connector import PushOperation, idempotency_key
from hub.models import ENTITY_MODELS, CanonicalRecord
from hub.store.schema import outbox

PENDING, SENT, REJECTED, FAILED, SUPERSEDED = "pending", "sent", "rejected", "failed", "superseded"
"""The states of an outbox row. ``superseded``: replaced, before it was ever sent, by a
newer change of the same record."""


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
    values = {"target": target, "entity": record.entity, "operation": operation.value,
              "record_id": record_id, "payload": record.model_dump_json(exclude={"raw"}),
              "idempotency_key": key, "status": PENDING, "attempts": 0, "created_at": now}
    insert: Any = (postgresql.insert(outbox) if conn.dialect.name == "postgresql"
                   else sqlite.insert(outbox))
    made = conn.execute(insert.values(**values).on_conflict_do_nothing(
        index_elements=["idempotency_key"]).returning(outbox.c.id)).first()
    return Queued(key, made is not None)


def record_of(entity: str, payload: str) -> CanonicalRecord:
    """The canonical record an outbox row (or a stored record's ``data``) carries."""
    return ENTITY_MODELS[entity].model_validate_json(payload)


def supersede(conn: Connection, row_ids: list[int], by: str) -> None:
    """Retire rows never sent, replaced by the change with key ``by``."""
    if row_ids:
        conn.execute(outbox.update().where(outbox.c.id.in_(row_ids), outbox.c.attempts == 0,
                                           outbox.c.status == PENDING)
                     .values(status=SUPERSEDED,
                             last_error=f"replaced before it was sent by the newer change {by}"))


def result_of(text: str | None) -> dict[str, Any]:
    """A row's ``result`` JSON as a dict (empty when there is none)."""
    if not text:
        return {}
    data = orjson.loads(text)
    return data if isinstance(data, dict) else {}


def pending_count(conn: Connection, target: str | None = None) -> int:
    """Changes still waiting to be sent (to ``target``, or anywhere)."""
    stmt = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == PENDING)
    if target is not None:
        stmt = stmt.where(outbox.c.target == target)
    return int(conn.execute(stmt).scalar_one())
