"""What a push would do, change by change, before anything is sent (``billing-hub push plan``).

For each pending change of a target: the change as :meth:`OutboxSender.send`
would build it, then the connector's :meth:`~hub.contract.connector.Connector.preview`,
which reads the target's current state and compares it field by field (ours,
theirs, and the base the hub last wrote), writing nothing. A connector that
cannot preview is said so, and the change is shown against its base only
(:func:`offline_diff`, what ``push list`` shows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.contract.pushing import FieldChange, PushResult
from hub.outbox.mirror import pushed_view
from hub.outbox.review import APPROVED, base_of
from hub.outbox.sender import OutboxSender
from hub.store import Connection
from hub.store.outbox import APPLICATIONS


@dataclass(slots=True)
class Planned:
    """One pending change and what sending it would do."""

    id: int
    target: str
    entity: str
    operation: str
    record: str
    approved: dict[str, Any] | None
    """``{"by": ..., "at": ...}`` when a person approved it."""
    outcome: str
    """What the push would do: created, updated, unchanged, rejected, conflict; or
    ``not sent`` (why in ``reason``), ``no preview``."""
    reason: str = ""
    fields: list[FieldChange] = field(default_factory=list)


def plan(sender: OutboxSender) -> list[Planned]:
    """The pending changes of ``sender``'s target with what each would do; writes nothing.

    Raises what the connector's preview raises when the target cannot be read
    (a TransientError, a FatalError).
    """
    rows = sender.pending_rows()
    planned: list[Planned] = []
    ready = []
    with sender.engine.connect() as conn:
        for row in rows:
            problem = sender.prepare(conn, row)
            entry = Planned(row.id, sender.target, row.entity, row.operation,
                            row.source_label or row.entity, row.result.get(APPROVED),
                            "not sent" if problem else "")
            planned.append(entry)
            if problem:
                entry.reason = problem
            else:
                ready.append((row, entry))
        if "preview" not in sender.connector.implements():
            for row, entry in ready:
                entry.outcome = "no preview"
                entry.reason = (f"connector {sender.target!r} cannot read what it holds now: "
                                "the change against what the hub last sent")
                entry.fields = offline_diff(conn, sender.target, row.id, row.entity,
                                            row.operation, row.record_id, row.payload)
            return planned
    changes = [row.change for row, _ in ready if row.change is not None]
    results: list[PushResult] = sender.connector.preview(changes) if changes else []
    by_key = {r.idempotency_key: r for r in results}
    for row, entry in ready:
        result = by_key.get(row.key)
        if result is None:
            entry.outcome, entry.reason = "no preview", "the connector said nothing of it"
            continue
        entry.outcome = result.status.value
        entry.reason = result.reason
        entry.fields = list(result.fields)
    return planned


def offline_diff(conn: Connection, target: str, row_id: int, entity: str, operation: str,
                 record_id: int | None, payload: str) -> list[FieldChange]:
    """A change against what the hub last sent of the record (its base), from the store
    alone: each field it moves, base then ours (``theirs`` unknown here)."""
    data = orjson.loads(payload)
    if entity == APPLICATIONS:
        return [FieldChange("applied", ours=f"{data.get('amount')} {data.get('currency')}",
                            theirs=None)]
    if operation == "mark_paid":
        return [FieldChange("status", ours="paid", theirs=None)]
    ours = pushed_view(entity, data)
    base_view: dict[str, Any] = {}
    if operation == "update" and record_id is not None:
        base = base_of(conn, target, record_id, row_id)
        if base is not None:
            base_view = pushed_view(entity, orjson.loads(base.model_dump_json(exclude={"raw"})))
    out = []
    for name in sorted(set(ours) | set(base_view)):
        if name in ("raw", "source", "external_id"):
            continue
        before, after = _text(base_view.get(name)), _text(ours.get(name))
        if before != after:
            out.append(FieldChange(name, ours=after, theirs=None, base=before))
    return out


def _text(value: Any) -> str | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, list):
        parts = [f"{v.get('description') or '(no description)'} {v.get('amount')}"
                 if isinstance(v, dict) else str(v) for v in value]
        return "; ".join(parts)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)
