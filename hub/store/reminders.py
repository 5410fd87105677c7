"""Payment reminders as the store keeps them: one per invoice and stage, under a
deterministic key, with the state of its sending.

Which invoice is due which reminder, and when a reminder may be handed to the
mail server, is decided in :mod:`hub.collect`; this module reads and writes
the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.store.clock import as_utc
from hub.store.schema import reminders

QUEUED, SENDING, SENT, UNCONFIRMED, FAILED, CANCELLED = (
    "queued", "sending", "sent", "unconfirmed", "failed", "cancelled")
HELD, TASK, DONE = "held", "task", "done"
"""A reminder's states. ``sending``: handed to the mailer by a run still at work, or by
one that died (the next run makes it ``unconfirmed``). ``unconfirmed``: nobody knows
whether the server accepted it; a person decides (``billing-hub reminders``).
``held``: a rule holds it (``hold_rule``, the reason in ``last_error``); ``task``: a
stage for a person (a call, an escalation), ``done`` once they did it."""
CONTACTED = (SENDING, SENT, UNCONFIRMED)
"""States of a reminder that may have reached the customer: what the contact cap counts."""

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder, as stored."""

    id: int
    key: str
    source: str
    invoice_external_id: str
    invoice_id: int | None
    invoice_number: str
    stage_days: int
    template: str
    mailer: str
    to_address: str
    subject: str
    body: str
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    server_reply: str | None
    queued_at: datetime
    sending_at: datetime | None
    sent_at: datetime | None
    customer: str | None = None
    hold_rule: str | None = None
    held_at: datetime | None = None


def _reminder(row: Any) -> Reminder:
    return Reminder(**row._mapping)


def add_once(conn: Connection, *, key: str, source: str, invoice_external_id: str,
             invoice_id: int, invoice_number: str, stage_days: int, template: str, mailer: str,
             to_address: str, subject: str, body: str, message_id: str, now: datetime,
             customer: str | None = None, status: str = QUEUED, hold_rule: str | None = None,
             reason: str | None = None) -> bool:
    """Queue a reminder (or record it ``status``: held, task) unless one with ``key``
    exists; True when it is new."""
    insert: Any = (postgresql.insert(reminders) if conn.dialect.name == "postgresql"
                   else sqlite.insert(reminders))
    made = conn.execute(insert.values(
        key=key, source=source, invoice_external_id=invoice_external_id,
        invoice_id=invoice_id, invoice_number=invoice_number, stage_days=stage_days,
        template=template, mailer=mailer, to_address=to_address, subject=subject, body=body,
        message_id=message_id, status=status, attempts=0, queued_at=now, customer=customer,
        hold_rule=hold_rule, last_error=reason, held_at=now if status == HELD else None,
    ).on_conflict_do_nothing(index_elements=["key"]).returning(reminders.c.id)).first()
    return made is not None


def cancel_earlier(conn: Connection, source: str, invoice_external_id: str, stage_days: int,
                   reason: str) -> int:
    """Cancel the invoice's queued reminders of stages before ``stage_days``; how many."""
    result = conn.execute(
        reminders.update()
        .where(reminders.c.source == source,
               reminders.c.invoice_external_id == invoice_external_id,
               reminders.c.stage_days < stage_days,
               reminders.c.status == QUEUED)
        .values(status=CANCELLED, last_error=reason))
    return result.rowcount or 0


def latest_stages(conn: Connection, source: str, invoice_external_ids: Sequence[str]
                  ) -> dict[str, int]:
    """Invoice external id -> the latest stage (days) of its reminders not cancelled."""
    found: dict[str, int] = {}
    for start in range(0, len(invoice_external_ids), CHUNK):
        chunk = invoice_external_ids[start:start + CHUNK]
        stmt = (sa.select(reminders.c.invoice_external_id, sa.func.max(reminders.c.stage_days))
                .where(reminders.c.source == source,
                       reminders.c.status.not_in((CANCELLED, HELD)),
                       reminders.c.invoice_external_id.in_(chunk))
                .group_by(reminders.c.invoice_external_id))
        found.update({ext: int(days) for ext, days in conn.execute(stmt)})
    return found


def count(conn: Connection, mailer: str, status: str) -> int:
    """Reminders of ``mailer`` in ``status``."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(reminders).where(
        reminders.c.status == status, reminders.c.mailer == mailer)).scalar_one())


def in_status(conn: Connection, mailer: str, status: str) -> list[tuple[int, str]]:
    """(id, Message-ID) of the reminders of ``mailer`` in ``status``."""
    stmt = sa.select(reminders.c.id, reminders.c.message_id).where(
        reminders.c.status == status, reminders.c.mailer == mailer)
    return [(int(rid), str(message_id)) for rid, message_id in conn.execute(stmt)]


def next_queued(conn: Connection, mailer: str, after: int) -> Reminder | None:
    """The first reminder of ``mailer`` queued after id ``after``, if any."""
    row = conn.execute(sa.select(reminders).where(
        reminders.c.status == QUEUED, reminders.c.mailer == mailer,
        reminders.c.id > after).order_by(reminders.c.id).limit(1)).first()
    return None if row is None else _reminder(row)


def get(conn: Connection, reminder_id: int) -> Reminder | None:
    """The reminder with this id, or None."""
    row = conn.execute(sa.select(reminders).where(reminders.c.id == reminder_id)).first()
    return None if row is None else _reminder(row)


def latest(conn: Connection, *, limit: int, status: str | None = None,
           held: bool = False) -> list[Reminder]:
    """The latest reminders (in ``status``, if given; with ``held``, those a rule holds or
    keeps waiting), newest first."""
    stmt = sa.select(reminders).order_by(reminders.c.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(reminders.c.status == status)
    if held:
        stmt = stmt.where(sa.or_(reminders.c.status == HELD, sa.and_(
            reminders.c.status == QUEUED, reminders.c.hold_rule.is_not(None))))
    return [_reminder(r) for r in conn.execute(stmt)]


def by_key(conn: Connection, key: str) -> Reminder | None:
    """The reminder stored under ``key``, or None."""
    row = conn.execute(sa.select(reminders).where(reminders.c.key == key)).first()
    return None if row is None else _reminder(row)


def hold(conn: Connection, reminder_id: int, *, rule: str, reason: str, now: datetime,
         was: Sequence[str] = (QUEUED, TASK, HELD)) -> bool:
    """Hold a reminder (queued, a task or held already) under ``rule``; False when it is in
    another state now. ``held_at`` keeps the time it was first held."""
    held = conn.execute(reminders.update().where(
        reminders.c.id == reminder_id, reminders.c.status.in_(was)).values(
        status=HELD, hold_rule=rule, last_error=reason,
        held_at=sa.func.coalesce(reminders.c.held_at, now)))
    return bool(held.rowcount)


def release(conn: Connection, reminder_id: int, status: str) -> bool:
    """A held reminder back to ``status`` (queued, or task); False when it is not held."""
    done = conn.execute(reminders.update().where(
        reminders.c.id == reminder_id, reminders.c.status == HELD).values(
        status=status, hold_rule=None, last_error=None, held_at=None))
    return bool(done.rowcount)


def note_wait(conn: Connection, reminder_id: int, *, rule: str | None, reason: str | None
              ) -> None:
    """A queued reminder waits under ``rule`` (None: it waits for nothing any more)."""
    conn.execute(reminders.update().where(
        reminders.c.id == reminder_id, reminders.c.status == QUEUED).values(
        hold_rule=rule, last_error=reason))


def contacts_since(conn: Connection, customer: str, since: datetime) -> list[datetime]:
    """When each reminder to ``customer`` that may have reached them since ``since`` was
    handed to the server, oldest first."""
    stmt = sa.select(reminders.c.sending_at).where(
        reminders.c.customer == customer, reminders.c.status.in_(CONTACTED),
        reminders.c.sending_at >= since).order_by(reminders.c.sending_at)
    return [at for (t,) in conn.execute(stmt) if (at := as_utc(t)) is not None]


def take(conn: Connection, reminder_id: int, now: datetime) -> bool:
    """Mark a queued reminder ``sending`` (one more attempt, at ``now``); False when it is
    not queued any more."""
    taken = conn.execute(reminders.update().where(
        reminders.c.id == reminder_id, reminders.c.status == QUEUED).values(
        status=SENDING, attempts=reminders.c.attempts + 1, sending_at=now, last_error=None,
        hold_rule=None))
    return bool(taken.rowcount)


def set_status(conn: Connection, reminder_id: int, status: str, reason: str) -> None:
    """Put a reminder in ``status`` with ``reason`` as its last error."""
    conn.execute(reminders.update().where(reminders.c.id == reminder_id).values(
        status=status, last_error=reason))


def mark_sent(conn: Connection, reminder_id: int, *, at: datetime, reply: str) -> None:
    """The server accepted the reminder at ``at`` and answered ``reply``."""
    conn.execute(reminders.update().where(reminders.c.id == reminder_id).values(
        status=SENT, sent_at=at, server_reply=reply))


def decided(conn: Connection, reminder_id: int, status: str, *, sent_at: datetime | None = None,
            server_reply: str | None = None, to_address: str | None = None) -> None:
    """A person's decision: ``status``, the last error cleared, and the time sent, the
    reply and the address when given."""
    values: dict[str, object] = {"status": status, "last_error": None}
    if sent_at is not None:
        values["sent_at"] = sent_at
    if server_reply is not None:
        values["server_reply"] = server_reply
    if to_address is not None:
        values["to_address"] = to_address
    conn.execute(reminders.update().where(reminders.c.id == reminder_id).values(**values))

