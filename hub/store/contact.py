"""Contact state as the store keeps it: disputes, promises to pay, what blocks contact
with a customer (a stop, an absence, a bounced address) and each customer's history.

Customers are named as the hub names records, ``SOURCE:customer:ID`` (or None when a
reply could not be tied to one: then a block holds by ``address``). What the rows
mean, and when they hold a reminder, is decided in :mod:`hub.collect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.models import Dispute, Promise
from hub.store.schema import (
    contact_blocks,
    contact_events,
    disputes,
    promises,
    records,
    reminders,
)

STOP, AWAY, BOUNCED = "stop", "away", "bounced"
"""Kinds of contact block."""


def _insert(conn: Connection, table: sa.Table) -> Any:
    return (postgresql.insert(table) if conn.dialect.name == "postgresql"
            else sqlite.insert(table))


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS).decode()


# ---------------------------------------------------------------------- history
@dataclass(frozen=True, slots=True)
class ContactEvent:
    """One entry of a customer's contact history."""

    id: int
    customer: str | None
    at: datetime
    kind: str
    summary: str
    details: dict[str, Any]
    ref: str | None
    actor: str
    open: bool


def _event(row: Any) -> ContactEvent:
    m = row._mapping
    return ContactEvent(id=m["id"], customer=m["customer"], at=m["at"], kind=m["kind"],
                        summary=m["summary"], details=orjson.loads(m["details"]), ref=m["ref"],
                        actor=m["actor"], open=bool(m["open"]))


def add_event(conn: Connection, *, customer: str | None, at: datetime, kind: str,
              summary: str, actor: str, details: dict[str, Any] | None = None,
              ref: str | None = None, open_item: bool = False) -> bool:
    """Add an entry (once per ``ref`` when given); True when it is new."""
    made = conn.execute(_insert(conn, contact_events).values(
        customer=customer, at=at, kind=kind, summary=summary[:4000], details=_json(details or {}),
        ref=ref, actor=actor, open=open_item,
    ).on_conflict_do_nothing(index_elements=["ref"]).returning(contact_events.c.id)).first()
    return made is not None


def has_event(conn: Connection, ref: str) -> bool:
    """Whether an entry with ``ref`` exists (a reply already acted on)."""
    return conn.execute(sa.select(contact_events.c.id).where(
        contact_events.c.ref == ref)).first() is not None


def history(conn: Connection, customer: str, *, limit: int = 500) -> list[ContactEvent]:
    """The customer's entries, oldest first."""
    stmt = (sa.select(contact_events).where(contact_events.c.customer == customer)
            .order_by(contact_events.c.at, contact_events.c.id).limit(limit))
    return [_event(r) for r in conn.execute(stmt)]


def events(conn: Connection, *, kind: str | None = None, open_only: bool = False,
           limit: int = 100) -> list[ContactEvent]:
    """The latest entries (of ``kind``; only those on the worklist), newest first."""
    stmt = sa.select(contact_events).order_by(contact_events.c.id.desc()).limit(limit)
    if kind is not None:
        stmt = stmt.where(contact_events.c.kind == kind)
    if open_only:
        stmt = stmt.where(contact_events.c.open.is_(True))
    return [_event(r) for r in conn.execute(stmt)]


def get_event(conn: Connection, event_id: int) -> ContactEvent | None:
    row = conn.execute(sa.select(contact_events).where(contact_events.c.id == event_id)).first()
    return None if row is None else _event(row)


def close_event(conn: Connection, event_id: int) -> bool:
    """Take an entry off the worklist; False when it was not on it."""
    done = conn.execute(contact_events.update().where(
        contact_events.c.id == event_id, contact_events.c.open.is_(True)).values(open=False))
    return bool(done.rowcount)


# ---------------------------------------------------------------------- disputes, promises
def add_dispute(conn: Connection, dispute: Dispute, *, at: datetime) -> bool:
    """Keep ``dispute`` unless one with its source and id is kept; True when it is new."""
    made = conn.execute(_insert(conn, disputes).values(
        source=dispute.source, external_id=dispute.external_id, customer=dispute.customer_ref,
        status=dispute.status.value, opened_at=dispute.opened_at,
        data=dispute.model_dump_json(exclude={"raw"}), raw=_json(dispute.raw), updated_at=at,
    ).on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(disputes.c.id)).first()
    return made is not None


def disputes_of(conn: Connection, customer: str | None) -> list[Dispute]:
    """The customer's disputes (None: those tied to no customer), oldest first: those a
    reply raised (this module's table), then those a connector pulled (records of entity
    ``dispute``, e.g. a card network's chargeback in Stripe)."""
    where = (disputes.c.customer.is_(None) if customer is None
             else disputes.c.customer == customer)
    rows = conn.execute(sa.select(disputes.c.data, disputes.c.raw).where(where)
                        .order_by(disputes.c.id))
    found = [Dispute.model_validate({**orjson.loads(d), "raw": orjson.loads(r)})
             for d, r in rows]
    pulled = (records.c.customer_ref.is_(None) if customer is None
              else records.c.customer_ref == customer)
    return found + _pulled(conn, pulled)


OPEN_STATUSES = ("open", "under_review")


def open_pulled_disputes(conn: Connection) -> list[Dispute]:
    """Every open dispute a connector pulled, of any customer, oldest first."""
    return _pulled(conn, records.c.status.in_(OPEN_STATUSES))


def _pulled(conn: Connection, where: Any) -> list[Dispute]:
    rows = conn.execute(sa.select(records.c.data, records.c.raw).where(
        records.c.entity == "dispute", records.c.deleted_at.is_(None), where)
        .order_by(records.c.id))
    return [Dispute.model_validate({**orjson.loads(d), "raw": orjson.loads(r)})
            for d, r in rows]


def add_promise(conn: Connection, promise: Promise) -> bool:
    """Keep ``promise`` once; True when it is new."""
    made = conn.execute(_insert(conn, promises).values(
        source=promise.source, external_id=promise.external_id, customer=promise.customer_ref,
        promised_date=promise.promised_date, data=promise.model_dump_json(exclude={"raw"}),
        raw=_json(promise.raw), made_at=promise.made_at,
    ).on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(promises.c.id)).first()
    return made is not None


def promises_of(conn: Connection, customer: str | None) -> list[Promise]:
    """The customer's promises to pay, oldest first."""
    where = (promises.c.customer.is_(None) if customer is None
             else promises.c.customer == customer)
    rows = conn.execute(sa.select(promises.c.data, promises.c.raw).where(where)
                        .order_by(promises.c.id))
    return [Promise.model_validate({**orjson.loads(d), "raw": orjson.loads(r)}) for d, r in rows]


# ---------------------------------------------------------------------- blocks
@dataclass(frozen=True, slots=True)
class ContactBlock:
    """Something that stops contact: a stop, an absence until a date, a bounced address."""

    id: int
    customer: str | None
    kind: str
    address: str | None
    until: date | None
    reason: str
    origin: str
    created_at: datetime
    created_by: str
    lifted_at: datetime | None
    lifted_by: str | None


def add_block(conn: Connection, *, customer: str | None, kind: str, reason: str, origin: str,
              at: datetime, actor: str, address: str | None = None,
              until: date | None = None) -> bool:
    """Block contact (once per kind and ``origin``); True when it is new."""
    made = conn.execute(_insert(conn, contact_blocks).values(
        customer=customer, kind=kind, address=address.lower() if address else None,
        until=until, reason=reason[:2000], origin=origin, created_at=at, created_by=actor,
    ).on_conflict_do_nothing(index_elements=["kind", "origin"])
        .returning(contact_blocks.c.id)).first()
    return made is not None


def blocks(conn: Connection, *, customer: str | None = None,
           addresses: Sequence[str] = (), active_only: bool = True) -> list[ContactBlock]:
    """Blocks on ``customer`` or on any of ``addresses`` (not lifted, with ``active_only``)."""
    ors = []
    if customer is not None:
        ors.append(contact_blocks.c.customer == customer)
    if addresses:
        ors.append(contact_blocks.c.address.in_([a.lower() for a in addresses]))
    if not ors:
        return []
    stmt = sa.select(contact_blocks).where(sa.or_(*ors)).order_by(contact_blocks.c.id)
    if active_only:
        stmt = stmt.where(contact_blocks.c.lifted_at.is_(None))
    return [ContactBlock(**r._mapping) for r in conn.execute(stmt)]


def lift_blocks(conn: Connection, *, customer: str, kind: str, at: datetime,
                actor: str) -> int:
    """Lift the customer's active blocks of ``kind``; how many."""
    done = conn.execute(contact_blocks.update().where(
        contact_blocks.c.customer == customer, contact_blocks.c.kind == kind,
        contact_blocks.c.lifted_at.is_(None)).values(lifted_at=at, lifted_by=actor))
    return done.rowcount or 0


# ---------------------------------------------------------------------- replies, read
def replies(conn: Connection, source: str) -> list[tuple[str, str, str]]:
    """(external id, canonical JSON, raw JSON) of ``source``'s live replies, oldest first."""
    stmt = (sa.select(records.c.external_id, records.c.data, records.c.raw)
            .where(records.c.source == source, records.c.entity == "reply",
                   records.c.deleted_at.is_(None)).order_by(records.c.id))
    return [(str(e), str(d), str(r)) for e, d, r in conn.execute(stmt)]


# ---------------------------------------------------------------------- reminders, read
@dataclass(frozen=True, slots=True)
class SentReminder:
    """What a reply can be tied to: a reminder's invoice and address."""

    source: str
    invoice_external_id: str
    invoice_number: str
    to_address: str
    message_id: str


def reminders_answered(conn: Connection, message_ids: Sequence[str]) -> list[SentReminder]:
    """The reminders whose Message-ID (with or without ``<>``) is one of ``message_ids``."""
    wanted = {f"<{m.strip('<>')}>" for m in message_ids if m}
    if not wanted:
        return []
    return _sent(conn, reminders.c.message_id.in_(sorted(wanted)))


def reminders_to(conn: Connection, addresses: Sequence[str]) -> list[SentReminder]:
    """The reminders sent (or queued) to any of ``addresses``."""
    if not addresses:
        return []
    return _sent(conn, sa.func.lower(reminders.c.to_address).in_([a.lower() for a in addresses]))


def reminders_of(conn: Connection, source: str, invoice_external_ids: Sequence[str]
                 ) -> list[Any]:
    """The reminder rows of these invoices, oldest first (for a customer's history)."""
    if not invoice_external_ids:
        return []
    return list(conn.execute(sa.select(reminders).where(
        reminders.c.source == source,
        reminders.c.invoice_external_id.in_(list(invoice_external_ids)))
        .order_by(reminders.c.queued_at, reminders.c.id)))


def _sent(conn: Connection, where: Any) -> list[SentReminder]:
    stmt = sa.select(reminders.c.source, reminders.c.invoice_external_id,
                     reminders.c.invoice_number, reminders.c.to_address,
                     reminders.c.message_id).where(where).order_by(reminders.c.id)
    return [SentReminder(*row) for row in conn.execute(stmt)]
