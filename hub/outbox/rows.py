"""Reading the outbox for people (``billing-hub push list``) and sending rows again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from hub.contract.names import record_name
from hub.contract.pushing import FieldChange, FieldOutcome
from hub.outbox.names import applied_names
from hub.outbox.plan import offline_diff
from hub.outbox.queue import CONFLICT, FAILED, PENDING, REJECTED, result_of
from hub.store import Connection, audit
from hub.store import outbox as store_outbox
from hub.store.clock import as_utc


@dataclass(slots=True)
class OutboxEntry:
    """One queued change as a coordinator reads it."""

    id: int
    target: str
    entity: str
    operation: str
    status: str
    attempts: int
    record: str
    """What it is about: ``books:invoice:INV-1042``, ``books:invoice:7 (INV-1042)``."""
    last_error: str | None
    created_at: datetime
    external_id: str | None
    approved: dict[str, Any] | None = None
    """``{"by": ..., "at": ...}`` once a person approved it."""
    diff: list[FieldChange] = field(default_factory=list)
    """What it changes against what the hub last sent of the record; for a conflict,
    base, ours and theirs of the fields in conflict."""


def _label(entity: str, payload: str) -> str:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return entity
    if not isinstance(data, dict):
        return entity
    if "source" in data and "external_id" in data:
        name = data.get("number") or data.get("name")
        label = record_name(str(data["source"]), entity, str(data["external_id"]))
        return f"{label} ({name})" if name and name != data["external_id"] else label
    return applied_names(data) or entity


def list_entries(conn: Connection, *, target: str | None = None,
                 statuses: Sequence[str] = (PENDING, FAILED, CONFLICT), limit: int = 100
                 ) -> list[OutboxEntry]:
    """Rows in ``statuses`` (optionally for one target), oldest first, each with what it
    changes (:func:`hub.outbox.plan.offline_diff`, or the sides of a conflict)."""
    out = []
    for r in store_outbox.listed(conn, statuses=statuses, target=target, limit=limit):
        account = result_of(r.result)
        if r.status == CONFLICT or account.get("conflict"):
            diff = [FieldChange(f["field"], ours=f.get("ours"), theirs=f.get("theirs"),
                                base=f.get("base"), outcome=FieldOutcome(f["outcome"]))
                    for f in account.get("conflict") or []]
        else:
            diff = offline_diff(conn, r.target, r.id, r.entity, r.operation, r.record_id,
                                r.payload)
        out.append(OutboxEntry(r.id, r.target, r.entity, r.operation, r.status, r.attempts,
                               _label(r.entity, r.payload), r.last_error,
                               as_utc(r.created_at) or r.created_at,
                               account.get("external_id"), account.get("approved"), diff))
    return out


def counts_by_status(conn: Connection) -> dict[str, int]:
    """Rows per status, every target together."""
    return store_outbox.counts_by_status(conn)


def send_again(conn: Connection, ids: Sequence[int] | None, *, actor: str,
               now: datetime) -> list[int]:
    """Put failed or rejected rows (these ``ids``, or every one) back in the queue.

    They go with the same key: a system that remembers the key answers as it
    did the first time (a rejection stays a rejection unless what caused it
    changed, such as a customer now pushed), one that forgot it does it again.
    """
    found = store_outbox.in_statuses(conn, (FAILED, REJECTED), ids)
    for row_id, result in found:
        kept = {k: v for k, v in result_of(result).items()
                if k in ("external_id", "approved") and v}
        store_outbox.requeue(conn, row_id, orjson.dumps(kept).decode() if kept else None)
    if found:
        audit.record(conn, "push.retried", subject=", ".join(str(r[0]) for r in found),
                     actor=actor, at=now)
    return [int(r[0]) for r in found]
