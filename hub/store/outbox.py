"""The outbox: changes bound for other systems, each under its idempotency key.

A row is written in the transaction of whatever caused the change and taken
out by the sender of its target (:mod:`hub.outbox`), which decides what is
sent, retried or given up; this module reads and writes the rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.store.schema import outbox

PENDING, SENT, REJECTED, FAILED, SUPERSEDED = "pending", "sent", "rejected", "failed", "superseded"
"""The states of an outbox row. ``superseded``: replaced, before it was ever sent, by a
newer change of the same record."""
CONFLICT, DECLINED = "conflict", "declined"
"""``conflict``: not sent, the target changed the same fields meanwhile; it waits for a
person (keep theirs, or send ours). ``declined``: a person said it is not to be sent
(``push reject``, or ``push keep-theirs`` of a conflict)."""

APPLICATIONS = "payment_application"
"""The entity of the rows ``billing-hub apply-payment`` queues: money applied to an
invoice of the target (payload: the receipt, the invoice, the amount), not a record."""

CHUNK = 500
"""Record ids per statement, well below every database's limit on parameters."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One row of the outbox, its JSON columns as text."""

    id: int
    target: str
    entity: str
    operation: str
    record_id: int | None
    payload: str
    idempotency_key: str
    status: str
    attempts: int
    last_error: str | None
    result: str | None
    created_at: datetime
    sent_at: datetime | None = None


def _row(r: Any) -> OutboxRow:
    return OutboxRow(r.id, r.target, r.entity, r.operation, r.record_id, r.payload,
                     r.idempotency_key, r.status, r.attempts, r.last_error, r.result,
                     r.created_at, r.sent_at)


def add_once(conn: Connection, *, target: str, entity: str, operation: str,
             record_id: int | None, payload: str, key: str, now: datetime) -> bool:
    """Queue a change, unless one with ``key`` is queued already; True when it is new."""
    values = {"target": target, "entity": entity, "operation": operation,
              "record_id": record_id, "payload": payload, "idempotency_key": key,
              "status": PENDING, "attempts": 0, "created_at": now}
    insert: Any = (postgresql.insert(outbox) if conn.dialect.name == "postgresql"
                   else sqlite.insert(outbox))
    made = conn.execute(insert.values(**values).on_conflict_do_nothing(
        index_elements=["idempotency_key"]).returning(outbox.c.id)).first()
    return made is not None


def add(conn: Connection, *, target: str, entity: str, operation: str, record_id: int | None,
        payload: str, key: str, now: datetime, result: str | None = None) -> None:
    """Queue a change whose key is not taken (:func:`key_taken`); ``result`` starts the
    row's JSON account (an approval given with the change)."""
    conn.execute(outbox.insert().values(
        target=target, entity=entity, operation=operation, record_id=record_id,
        payload=payload, idempotency_key=key, status=PENDING, attempts=0, created_at=now,
        result=result))


def key_taken(conn: Connection, key: str) -> bool:
    """Whether a change with this idempotency key is in the outbox (in any state)."""
    found = conn.execute(sa.select(outbox.c.id).where(outbox.c.idempotency_key == key)).first()
    return found is not None


def supersede(conn: Connection, row_ids: Sequence[int], reason: str) -> None:
    """Retire these rows, as far as they are pending and were never tried."""
    if row_ids:
        conn.execute(outbox.update().where(outbox.c.id.in_(list(row_ids)), outbox.c.attempts == 0,
                                           outbox.c.status == PENDING)
                     .values(status=SUPERSEDED, last_error=reason))


def count_pending(conn: Connection, *, target: str | None = None,
                  entities: Collection[str] | None = None,
                  operations: Collection[str] | None = None) -> int:
    """Pending rows (for ``target``, of ``entities``, of ``operations``: each if given)."""
    stmt = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == PENDING)
    if target is not None:
        stmt = stmt.where(outbox.c.target == target)
    if entities is not None:
        stmt = stmt.where(outbox.c.entity.in_(list(entities)))
    if operations is not None:
        stmt = stmt.where(outbox.c.operation.in_(list(operations)))
    return int(conn.execute(stmt).scalar_one())


def pending_entities(conn: Connection, target: str) -> set[str]:
    """The entities with rows pending for ``target``."""
    stmt = sa.select(outbox.c.entity).distinct().where(outbox.c.target == target,
                                                       outbox.c.status == PENDING)
    return {str(e) for (e,) in conn.execute(stmt)}


def next_pending(conn: Connection, *, target: str, entity: str, operations: Collection[str],
                 after: int, limit: int) -> list[OutboxRow]:
    """Pending rows for ``target`` of ``entity`` and ``operations`` after row ``after``,
    in the order queued, at most ``limit``."""
    stmt = (sa.select(outbox)
            .where(outbox.c.target == target, outbox.c.entity == entity,
                   outbox.c.status == PENDING, outbox.c.operation.in_(list(operations)),
                   outbox.c.id > after)
            .order_by(outbox.c.id).limit(limit))
    return [_row(r) for r in conn.execute(stmt)]


def history(conn: Connection, target: str, entity: str) -> Iterator[OutboxRow]:
    """Every row for ``target`` of ``entity`` about a stored record, in the order queued."""
    stmt = (sa.select(outbox)
            .where(outbox.c.target == target, outbox.c.entity == entity,
                   outbox.c.record_id.is_not(None))
            .order_by(outbox.c.id))
    for r in conn.execute(stmt):
        yield _row(r)


def answered_creates(conn: Connection, record_ids: Sequence[int], target: str
                     ) -> Iterator[tuple[int, str, str]]:
    """(record id, entity, result) of the creates of these records that ``target``
    answered (sent or rejected), in the order queued."""
    for start in range(0, len(record_ids), CHUNK):
        chunk = record_ids[start:start + CHUNK]
        stmt = (sa.select(outbox.c.record_id, outbox.c.entity, outbox.c.result)
                .where(outbox.c.record_id.in_(chunk), outbox.c.target == target,
                       outbox.c.operation == "create", outbox.c.result.is_not(None),
                       outbox.c.status.in_((SENT, REJECTED)))
                .order_by(outbox.c.id))
        for rid, entity, result in conn.execute(stmt):
            yield int(rid), str(entity), str(result)


def of_entity(conn: Connection, entity: str, *, statuses: Sequence[str]) -> list[OutboxRow]:
    """Every row of ``entity`` in ``statuses``, in the order queued."""
    stmt = (sa.select(outbox).where(outbox.c.entity == entity,
                                    outbox.c.status.in_(list(statuses)))
            .order_by(outbox.c.id))
    return [_row(r) for r in conn.execute(stmt)]


def listed(conn: Connection, *, statuses: Sequence[str], target: str | None = None,
           limit: int) -> list[OutboxRow]:
    """Rows in ``statuses`` (optionally for one target), oldest first, at most ``limit``."""
    stmt = (sa.select(outbox).where(outbox.c.status.in_(list(statuses)))
            .order_by(outbox.c.id).limit(limit))
    if target is not None:
        stmt = stmt.where(outbox.c.target == target)
    return [_row(r) for r in conn.execute(stmt)]


def counts_by_status(conn: Connection) -> dict[str, int]:
    """Rows per status, every target together."""
    stmt = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
    return {str(s): int(n) for s, n in conn.execute(stmt)}


def in_statuses(conn: Connection, statuses: Sequence[str], ids: Sequence[int] | None = None
                ) -> list[tuple[int, str | None]]:
    """(id, result) of the rows in ``statuses`` (of these ``ids``, or all)."""
    stmt = sa.select(outbox.c.id, outbox.c.result).where(outbox.c.status.in_(list(statuses)))
    if ids is not None:
        stmt = stmt.where(outbox.c.id.in_(list(ids)))
    return [(int(i), result) for i, result in conn.execute(stmt)]


def requeue(conn: Connection, row_id: int, result: str | None) -> None:
    """Make a row pending again, untried, with ``result`` as what is kept of the past."""
    conn.execute(outbox.update().where(outbox.c.id == row_id).values(
        status=PENDING, attempts=0, last_error=None, result=result))


def count_attempt(conn: Connection, row_id: int, attempts: int, result: str) -> None:
    """Record a try before it is made: the number of tries and the row's result so far."""
    conn.execute(outbox.update().where(outbox.c.id == row_id).values(
        attempts=attempts, result=result))


def answered(conn: Connection, row_id: int, *, status: str, sent_at: datetime, result: str,
             last_error: str | None) -> None:
    """Record the target's answer to a row."""
    conn.execute(outbox.update().where(outbox.c.id == row_id).values(
        status=status, sent_at=sent_at, result=result, last_error=last_error))


def finish(conn: Connection, row_id: int, status: str, reason: str) -> None:
    """End a row in ``status`` (failed, superseded) with the reason."""
    conn.execute(outbox.update().where(outbox.c.id == row_id).values(
        status=status, last_error=reason))


def note_error(conn: Connection, row_ids: Sequence[int], error: str) -> None:
    """Keep ``error`` as the last error of these rows, their status unchanged."""
    conn.execute(outbox.update().where(outbox.c.id.in_(list(row_ids)))
                 .values(last_error=error))


def by_ids(conn: Connection, ids: Sequence[int]) -> list[OutboxRow]:
    """The rows with these ids, in the order queued."""
    stmt = sa.select(outbox).where(outbox.c.id.in_(list(ids))).order_by(outbox.c.id)
    return [_row(r) for r in conn.execute(stmt)]


def in_status(conn: Connection, statuses: Sequence[str], *, target: str | None = None
              ) -> list[OutboxRow]:
    """Every row in ``statuses`` (for ``target``), in the order queued."""
    stmt = sa.select(outbox).where(outbox.c.status.in_(list(statuses))).order_by(outbox.c.id)
    if target is not None:
        stmt = stmt.where(outbox.c.target == target)
    return [_row(r) for r in conn.execute(stmt)]


def of_record(conn: Connection, target: str, record_id: int, *, before: int,
              statuses: Sequence[str], operations: Sequence[str]) -> list[OutboxRow]:
    """Rows for ``target`` about stored record ``record_id`` queued before row ``before``,
    in ``statuses`` and ``operations``, newest first."""
    stmt = (sa.select(outbox)
            .where(outbox.c.target == target, outbox.c.record_id == record_id,
                   outbox.c.id < before, outbox.c.status.in_(list(statuses)),
                   outbox.c.operation.in_(list(operations)))
            .order_by(outbox.c.id.desc()))
    return [_row(r) for r in conn.execute(stmt)]


def set_result(conn: Connection, row_id: int, result: str) -> None:
    """Replace a row's JSON account, its status unchanged."""
    conn.execute(outbox.update().where(outbox.c.id == row_id).values(result=result))


def decide(conn: Connection, row_id: int, *, status: str, result: str,
           last_error: str | None, attempts: int | None = None) -> None:
    """A person's decision on a row: its new status, account and reason."""
    values: dict[str, Any] = {"status": status, "result": result, "last_error": last_error}
    if attempts is not None:
        values["attempts"] = attempts
    conn.execute(outbox.update().where(outbox.c.id == row_id).values(**values))
