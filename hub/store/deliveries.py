"""Webhook deliveries the hub took in: the replay memory and the queue of syncs they ask for.

A delivery is remembered by ``(connector, delivery_id)`` (Stripe's event id),
with when it arrived and the hints it carried (which entity, which object,
deleted or not), never its body, headers or signature: what is stored about
a change always comes from the system's API, not from a webhook.

:class:`DeliveryIntake` is the store-backed
:class:`~hub.contract.connector.ReplayGuard`: bound to one transaction, it takes a
delivery in with an insert that the unique constraint lets only one of two
concurrent copies make (``INSERT ... ON CONFLICT DO NOTHING`` on both SQLite
and PostgreSQL; the second copy waits for the first's transaction and then
finds the row), and records the delivery's hints in the same transaction.

Statuses: ``pending`` (its sync has not run yet), ``processed`` (the sync it
asked for ran, or it asked for none), ``failed`` (its last sync failed; it is
tried again from ``next_attempt_at``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from hub.contract.webhooks import ChangeHint, WebhookReceipt
from hub.store.clock import as_utc
from hub.store.schema import webhook_deliveries as table

PENDING = "pending"
PROCESSED = "processed"
FAILED = "failed"
STATUSES = (PENDING, PROCESSED, FAILED)

MAX_ERROR = 2000
"""Characters of a sync's error kept with the deliveries it failed."""


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """One row of ``webhook_deliveries``."""

    id: int
    connector: str
    delivery_id: str
    received_at: datetime
    hints: tuple[ChangeHint, ...]
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    processed_at: datetime | None
    run_id: int | None


def dump_hints(hints: Iterable[ChangeHint]) -> str:
    """Hints as the JSON text stored in ``hints``."""
    return orjson.dumps([{"entity": h.entity, "id": h.external_id, "deleted": h.deleted}
                         for h in hints]).decode()


def load_hints(text: str | None) -> tuple[ChangeHint, ...]:
    """The hints stored by :func:`dump_hints`."""
    items: list[dict[str, Any]] = orjson.loads(text or "[]")
    return tuple(ChangeHint(str(i["entity"]), i.get("id"), bool(i.get("deleted")))
                 for i in items)


def _insert_once(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert a delivery unless its (connector, delivery_id) is there; ``True`` if inserted."""
    dialect = conn.dialect.name
    stmt: sa.Insert | None = None
    if dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(
            index_elements=["connector", "delivery_id"])
    elif dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(
            index_elements=["connector", "delivery_id"])
    if stmt is not None:  # RETURNING gives a row only when the insert happened
        return conn.execute(stmt.returning(table.c.id)).first() is not None
    try:  # another database: the constraint still decides, inside a savepoint
        with conn.begin_nested():
            conn.execute(table.insert().values(**values))
    except IntegrityError:
        return False
    return True


class DeliveryIntake:
    """The store-backed replay guard for one delivery, inside the caller's transaction.

    ``first_time`` inserts the delivery id (atomic under concurrent copies of
    the same delivery, see the module docstring); :meth:`record` then stores
    the receipt's hints in the same row. The caller commits both at once, or
    neither when verification failed after all.
    """

    def __init__(self, conn: Connection, connector: str, received_at: datetime) -> None:
        self.conn = conn
        self.connector = connector
        self.received_at = received_at
        self.taken: list[str] = []

    def first_time(self, delivery_id: str) -> bool:
        """Take ``delivery_id`` in: ``True`` the first time, ``False`` once it is stored."""
        if delivery_id in self.taken:
            return False
        new = _insert_once(self.conn, {
            "connector": self.connector, "delivery_id": delivery_id,
            "received_at": self.received_at, "hints": "[]", "status": PENDING, "attempts": 0,
        })
        if new:
            self.taken.append(delivery_id)
        return new

    def record(self, receipt: WebhookReceipt) -> bool:
        """Store a genuine receipt's hints; ``False`` if it turns out to be a duplicate.

        A receipt whose id the connector never asked :meth:`first_time` about
        is taken in here, so a connector that forgets to ask still gets each
        delivery acted on once. A receipt with no hints (an event about
        something the hub does not pull) is stored as processed at once.
        """
        if receipt.delivery_id not in self.taken and not self.first_time(receipt.delivery_id):
            return False
        values: dict[str, Any] = {"hints": dump_hints(receipt.hints)}
        if not receipt.hints:
            values.update(status=PROCESSED, processed_at=self.received_at)
        self.conn.execute(table.update().where(
            table.c.connector == self.connector,
            table.c.delivery_id == receipt.delivery_id).values(**values))
        return True


def _row(row: sa.Row[Any]) -> StoredDelivery:
    m = row._mapping
    received = as_utc(m["received_at"])
    assert received is not None
    return StoredDelivery(
        id=m["id"], connector=m["connector"], delivery_id=m["delivery_id"],
        received_at=received, hints=load_hints(m["hints"]), status=m["status"],
        attempts=m["attempts"], last_error=m["last_error"],
        next_attempt_at=as_utc(m["next_attempt_at"]), processed_at=as_utc(m["processed_at"]),
        run_id=m["run_id"])


def due(conn: Connection, now: datetime, *, connectors: Sequence[str] | None = None,
        limit: int = 10_000) -> list[StoredDelivery]:
    """Deliveries whose sync is still to run (pending, or failed and due again), oldest first."""
    stmt = (sa.select(table)
            .where(table.c.status.in_((PENDING, FAILED)),
                   sa.or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now))
            .order_by(table.c.id).limit(limit))
    if connectors:
        stmt = stmt.where(table.c.connector.in_(list(connectors)))
    return [_row(r) for r in conn.execute(stmt)]


def mark_processed(conn: Connection, ids: Sequence[int], now: datetime,
                   run_id: int | None) -> None:
    """The sync these deliveries asked for has run (``run_id``; ``None``: none was needed)."""
    if ids:
        conn.execute(table.update().where(table.c.id.in_(list(ids))).values(
            status=PROCESSED, processed_at=now, run_id=run_id, next_attempt_at=None,
            attempts=table.c.attempts + 1))


def mark_failed(conn: Connection, ids: Sequence[int], error: str, retry_at: datetime,
                run_id: int | None = None) -> None:
    """Their sync failed with ``error``; try again from ``retry_at``.

    A delivery another process has meanwhile processed stays processed.
    """
    if ids:
        conn.execute(table.update().where(table.c.id.in_(list(ids)),
                                          table.c.status != PROCESSED).values(
            status=FAILED, last_error=error[:MAX_ERROR], next_attempt_at=retry_at,
            run_id=run_id, attempts=table.c.attempts + 1))


def recent(conn: Connection, *, limit: int = 20, connector: str | None = None,
           status: str | None = None) -> list[StoredDelivery]:
    """The latest deliveries taken in, newest first."""
    stmt = sa.select(table).order_by(table.c.id.desc()).limit(limit)
    if connector is not None:
        stmt = stmt.where(table.c.connector == connector)
    if status is not None:
        stmt = stmt.where(table.c.status == status)
    return [_row(r) for r in conn.execute(stmt)]


def count_by_status(conn: Connection) -> dict[str, int]:
    """How many deliveries are pending, processed and failed."""
    rows = conn.execute(sa.select(table.c.status, sa.func.count()).group_by(table.c.status))
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in STATUSES}


def prune(conn: Connection, before: datetime) -> int:
    """Forget processed deliveries received before ``before``; how many were removed.

    A sender re-delivers for days at most (Stripe: 3), and a signed timestamp
    older than the tolerance is refused anyway, so a processed delivery need
    not be remembered forever; pending and failed ones are always kept. (A
    format that signs no timestamp could be replayed once forgotten; that
    costs one incremental sync, since nothing is taken from a delivery's body.)
    """
    result = conn.execute(table.delete().where(
        table.c.status == PROCESSED, table.c.received_at < before))
    return int(result.rowcount or 0)
