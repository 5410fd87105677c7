"""Invoices sent to their customers, as the store keeps them: one row per invoice, under
a key derived from it, with the state of its sending.

Which channel sends an invoice and when a send may be asked for again is decided
in :mod:`hub.invoicing`; this module reads and writes the rows, and reads the
invoices (and their customers) a send needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import invoice_sends, records

SENDING, SENT, DELIVERED, BOUNCED, REJECTED, UNCONFIRMED = (
    "sending", "sent", "delivered", "bounced", "rejected", "unconfirmed")
"""A send's states. ``sending``: asked for by a run still at work, or by one that died.
``sent``/``delivered``: taken by the system or the mail server / delivered, as it says.
``bounced``: the address refused it. ``rejected``: the system would not send it, nothing
went. ``unconfirmed``: handed to a mail server by a run that died before the answer was
kept; nobody knows whether it went, and a person decides."""
GONE_OUT = (SENDING, SENT, DELIVERED, UNCONFIRMED)
"""States in which the invoice went out, or may have: never sent again by the hub itself."""

_r = records.c
_s = invoice_sends.c


@dataclass(frozen=True, slots=True)
class InvoiceSend:
    """One invoice's send, as stored."""

    id: int
    key: str
    source: str
    invoice_external_id: str
    invoice_id: int | None
    invoice_number: str
    channel: str
    via: str
    to_address: str | None
    message_id: str | None
    status: str
    attempts: int
    answer: str | None
    last_error: str | None
    started_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredInvoice:
    """An invoice of the store, as a send reads it."""

    id: int
    source: str
    external_id: str
    data: str
    """The canonical JSON."""
    deleted: bool


def _send(row: Any) -> InvoiceSend:
    return InvoiceSend(**row._mapping)


def of_invoice(conn: Connection, source: str, external_id: str) -> InvoiceSend | None:
    row = conn.execute(sa.select(invoice_sends).where(
        _s.source == source, _s.invoice_external_id == external_id)).first()
    return None if row is None else _send(row)


def begin(conn: Connection, *, key: str, source: str, invoice_external_id: str,
          invoice_id: int, invoice_number: str, channel: str, via: str,
          to_address: str | None, message_id: str | None, now: datetime) -> InvoiceSend:
    """The row of this invoice's send, made ``sending`` now under ``key`` (one more
    attempt): new, or an earlier one that may be asked again (``sending`` from a run that
    died, where the system keeps keys, with the same key; ``rejected``/``bounced`` after
    a fix, with a new one)."""
    found = of_invoice(conn, source, invoice_external_id)
    values = {"status": SENDING, "attempts": (found.attempts if found else 0) + 1,
              "started_at": now, "last_error": None, "channel": channel, "via": via,
              "to_address": to_address, "message_id": message_id,
              "invoice_number": invoice_number, "invoice_id": invoice_id, "key": key}
    if found is None:
        conn.execute(invoice_sends.insert().values(
            source=source, invoice_external_id=invoice_external_id, **values))
    else:
        conn.execute(invoice_sends.update().where(_s.id == found.id).values(**values))
    made = of_invoice(conn, source, invoice_external_id)
    assert made is not None
    return made


def finish(conn: Connection, send_id: int, status: str, *, answer: str = "",
           reason: str | None = None, to_address: str | None = None,
           sent_at: datetime | None = None, delivered_at: datetime | None = None) -> None:
    """Keep what became of a send."""
    values: dict[str, object] = {"status": status, "answer": answer[:2000] or None,
                                 "last_error": reason}
    if to_address:
        values["to_address"] = to_address
    if sent_at is not None:
        values["sent_at"] = sent_at
    if delivered_at is not None:
        values["delivered_at"] = delivered_at
    conn.execute(invoice_sends.update().where(_s.id == send_id).values(**values))


def set_status(conn: Connection, send_id: int, status: str, reason: str) -> None:
    conn.execute(invoice_sends.update().where(_s.id == send_id).values(
        status=status, last_error=reason))


def in_status(conn: Connection, statuses: Sequence[str],
              channel: str | None = None) -> list[InvoiceSend]:
    stmt = sa.select(invoice_sends).where(_s.status.in_(list(statuses))).order_by(_s.id)
    if channel is not None:
        stmt = stmt.where(_s.channel == channel)
    return [_send(r) for r in conn.execute(stmt)]


def latest(conn: Connection, *, limit: int, status: str | None = None) -> list[InvoiceSend]:
    """The latest sends (in ``status``, if given), newest first."""
    stmt = sa.select(invoice_sends).order_by(_s.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(_s.status == status)
    return [_send(r) for r in conn.execute(stmt)]


def every(conn: Connection) -> list[InvoiceSend]:
    return [_send(r) for r in conn.execute(sa.select(invoice_sends).order_by(_s.id))]


def invoice(conn: Connection, source: str, external_id: str) -> StoredInvoice | None:
    """The invoice ``external_id`` of ``source`` (deleted or not), or None."""
    row = conn.execute(sa.select(_r.id, _r.source, _r.external_id, _r.data, _r.deleted_at)
                       .where(_r.source == source, _r.entity == "invoice",
                              _r.external_id == external_id)).first()
    return None if row is None else StoredInvoice(row.id, row.source, row.external_id,
                                                  row.data, row.deleted_at is not None)


def customer_data(conn: Connection, source: str, ref: str) -> str | None:
    """The canonical JSON of ``source``'s live customer ``ref``, or None."""
    found = conn.execute(sa.select(_r.data).where(
        _r.source == source, _r.entity == "customer", _r.external_id == ref,
        _r.deleted_at.is_(None))).scalar()
    return None if found is None else str(found)


def customer_named(conn: Connection, source: str, name: str) -> str | None:
    """The canonical JSON of ``source``'s one live customer named ``name``, or None."""
    found = conn.execute(sa.select(_r.data).where(
        _r.source == source, _r.entity == "customer", _r.deleted_at.is_(None),
        sa.func.lower(_r.party) == name.lower()).limit(2)).scalars().all()
    return str(found[0]) if len(found) == 1 else None


def unsent(conn: Connection, sources: Sequence[str], *, statuses: Sequence[str],
           issued_by: date) -> list[StoredInvoice]:
    """Live invoices of ``sources`` in ``statuses``, issued on or before ``issued_by``,
    with no send that went out (or may have), oldest first."""
    went = sa.select(_s.id).where(_s.source == _r.source,
                                  _s.invoice_external_id == _r.external_id,
                                  _s.status.in_(GONE_OUT))
    rows = conn.execute(sa.select(_r.id, _r.source, _r.external_id, _r.data).where(
        _r.entity == "invoice", _r.source.in_(list(sources)), _r.deleted_at.is_(None),
        _r.status.in_(list(statuses)), _r.doc_date <= issued_by, ~went.exists())
        .order_by(_r.doc_date, _r.id))
    return [StoredInvoice(r.id, r.source, r.external_id, r.data, False) for r in rows]


@dataclass(frozen=True, slots=True)
class SendingState:
    """An invoice and what became of its send, for the ``invoice_not_sent`` and
    ``invoice_sent_late`` findings."""

    record_id: int
    source: str
    external_id: str
    number: str | None
    customer: str | None
    currency: str | None
    open_minor: int | None
    status: str | None
    issued: date | None
    due: date | None
    send_status: str | None
    sent_at: datetime | None
    reason: str | None


def sending_states(conn: Connection, sources: Sequence[str]) -> list[SendingState]:
    """Every live invoice of ``sources`` with its send (if any), and every invoice of any
    source that was sent, in record order."""
    joined = records.outerjoin(invoice_sends, sa.and_(
        _s.source == _r.source, _s.invoice_external_id == _r.external_id))
    rows = conn.execute(sa.select(
        _r.id, _r.source, _r.external_id, _r.number, _r.party, _r.currency, _r.open_minor,
        _r.status, _r.doc_date, _r.due_date, _s.status, _s.sent_at, _s.last_error)
        .select_from(joined)
        .where(_r.entity == "invoice", _r.deleted_at.is_(None),
               sa.or_(_r.source.in_(list(sources)), _s.sent_at.is_not(None)))
        .order_by(_r.id))
    return [SendingState(*tuple(r)) for r in rows]
