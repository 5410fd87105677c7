"""Which overdue invoice is due which reminder, and queueing each reminder once.

An invoice of ``[collections] source`` is reminded when it is open or
partially paid, its balance is above zero, it is not deleted, and its due
date plus a stage's ``days_overdue`` is today or earlier. It gets the
reminder of the **latest** stage it has reached, and only if no reminder of
that stage or a later one was queued for it before: an invoice first seen
40 days overdue gets the 30-day reminder, not the 7-day one as well, and an
invoice already sent the 30-day reminder is never sent the 7-day one.
Queueing a later stage cancels an earlier one still waiting to be sent.

Each reminder's key digests the source, the invoice's id there and the
stage: the same reminder always has the same key (the store keeps it
unique), so running ``billing-hub collect`` again queues nothing new, and
the ``Message-ID`` derived from it is the same at every attempt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.collect.settings import CollectionSettings, Stage, render
from hub.models import Invoice, InvoiceStatus
from hub.money import currency_exponent
from hub.store.schema import records, reminders

QUEUED, SENDING, SENT, UNCONFIRMED, FAILED, CANCELLED = (
    "queued", "sending", "sent", "unconfirmed", "failed", "cancelled")
"""A reminder's states. ``sending``: handed to the mailer by a run still at work, or by
one that died (the next run makes it ``unconfirmed``). ``unconfirmed``: nobody knows
whether the server accepted it; a person decides (``billing-hub reminders``)."""
REMINDABLE = (InvoiceStatus.OPEN.value, InvoiceStatus.PARTIALLY_PAID.value)


def reminder_key(source: str, invoice_external_id: str, stage_days: int) -> str:
    """The deterministic key of reminding one invoice at one stage (``rem-`` + 40 hex)."""
    digest = hashlib.blake2b(digest_size=20)
    for part in ("reminder", source, invoice_external_id, str(stage_days)):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return "rem-" + digest.hexdigest()


def message_id_for(key: str, from_address: str) -> str:
    """The Message-ID every attempt at the reminder ``key`` carries."""
    domain = from_address.rsplit("@", 1)[-1].strip().lower() or "billing-hub.invalid"
    return f"<{key}@{domain}>"


def money(amount: Decimal, currency: str) -> str:
    """``USD 1,250.00``: the amount at its currency's precision (Decimal all the way)."""
    places = currency_exponent(currency)
    return f"{currency} {amount:,.{places}f}"


@dataclass(frozen=True, slots=True)
class Planned:
    """One reminder an invoice is due, or the reason it cannot get one (``skipped``)."""

    key: str
    source: str
    invoice_id: int
    invoice_external_id: str
    invoice_number: str
    customer_name: str
    balance: Decimal
    currency: str
    due_date: date
    days_overdue: int
    stage: Stage
    to_address: str | None
    subject: str
    body: str
    message_id: str
    skipped: str | None = None


def plan(conn: Connection, settings: CollectionSettings, today: date) -> list[Planned]:
    """The reminders due today (and, marked ``skipped``, the ones that cannot go)."""
    first = settings.stages[0].days_overdue
    stmt = (sa.select(records.c.id, records.c.external_id, records.c.data)
            .where(records.c.source == settings.source, records.c.entity == "invoice",
                   records.c.deleted_at.is_(None), records.c.status.in_(REMINDABLE),
                   records.c.open_minor > 0, records.c.due_date.is_not(None),
                   records.c.due_date <= today - timedelta(days=first))
            .order_by(records.c.due_date, records.c.id))
    candidates = conn.execute(stmt).all()
    reached = _stages_queued(conn, settings.source, [r.external_id for r in candidates])
    emails = _Emails(conn, settings.source)
    out: list[Planned] = []
    for row in candidates:
        try:
            invoice = Invoice.model_validate_json(row.data)
        except ValidationError:  # the store only holds valid records; be safe anyway
            continue
        if invoice.due_date is None or invoice.balance is None or invoice.balance <= 0:
            continue
        days = (today - invoice.due_date).days
        stage = settings.stage_for(days)
        if stage is None or reached.get(row.external_id, -1) >= stage.days_overdue:
            continue
        out.append(_planned(settings, row.id, invoice, days, stage, emails.of(invoice)))
    return out


def _planned(settings: CollectionSettings, record_id: int, invoice: Invoice, days: int,
             stage: Stage, to: str | None) -> Planned:
    assert invoice.balance is not None and invoice.due_date is not None
    key = reminder_key(settings.source, invoice.external_id, stage.days_overdue)
    template = settings.all_templates()[stage.template]
    name = invoice.customer_name or invoice.customer_ref or "customer"
    values: dict[str, object] = {
        "customer_name": name, "invoice_number": invoice.number,
        "amount_due": money(invoice.balance, invoice.currency),
        "total": money(invoice.total or Decimal(0), invoice.currency),
        "currency": invoice.currency, "due_date": invoice.due_date.isoformat(),
        "issue_date": invoice.issue_date.isoformat(), "days_overdue": days,
        "company": settings.company, "reply_to": settings.reply_to or settings.from_address,
    }
    return Planned(
        key=key, source=settings.source, invoice_id=record_id,
        invoice_external_id=invoice.external_id, invoice_number=invoice.number,
        customer_name=name, balance=invoice.balance, currency=invoice.currency,
        due_date=invoice.due_date, days_overdue=days, stage=stage, to_address=to,
        subject=render(template.subject, values), body=render(template.body, values),
        message_id=message_id_for(key, settings.from_address),
        skipped=None if to else f"no e-mail address for {name} (neither on the customer "
                                f"record nor on invoice {invoice.number})")


def _stages_queued(conn: Connection, source: str, external_ids: list[str]) -> dict[str, int]:
    """invoice external id -> the latest stage (days) reminded or waiting to be."""
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start:start + 500]
        stmt = (sa.select(reminders.c.invoice_external_id, sa.func.max(reminders.c.stage_days))
                .where(reminders.c.source == source, reminders.c.status != CANCELLED,
                       reminders.c.invoice_external_id.in_(chunk))
                .group_by(reminders.c.invoice_external_id))
        found.update({ext: int(days) for ext, days in conn.execute(stmt)})
    return found


class _Emails:
    """Customer e-mail addresses of one source, by reference and by unique name."""

    _KEYS = ("email", "customer_email", "bill_email", "billing_email")

    def __init__(self, conn: Connection, source: str) -> None:
        self.by_ref: dict[str, str] = {}
        by_name: dict[str, set[str]] = {}
        stmt = sa.select(records.c.external_id, records.c.data).where(
            records.c.source == source, records.c.entity == "customer",
            records.c.deleted_at.is_(None))
        for ext, data in conn.execute(stmt):
            customer: dict[str, Any] = orjson.loads(data)
            email = _first_address(customer.get("email"))
            if email:
                self.by_ref[ext] = email
                by_name.setdefault(str(customer.get("name", "")).casefold(), set()).add(email)
        self.by_name = {n: next(iter(e)) for n, e in by_name.items() if len(e) == 1}

    def of(self, invoice: Invoice) -> str | None:
        for key in self._KEYS:
            found = _first_address(invoice.metadata.get(key))
            if found:
                return found
        if invoice.customer_ref and invoice.customer_ref in self.by_ref:
            return self.by_ref[invoice.customer_ref]
        if invoice.customer_name:
            return self.by_name.get(invoice.customer_name.casefold())
        return None


def _first_address(value: object) -> str | None:
    """The first address of a field that may hold several (``a@x.com; b@x.com``)."""
    if not isinstance(value, str):
        return None
    for part in value.replace(";", ",").split(","):
        part = part.strip()
        if "@" in part and not any(c in part for c in " <>\r\n\"'"):
            return part
    return None


@dataclass(slots=True)
class QueueCounts:
    """What one ``collect`` run queued."""

    queued: int = 0
    already: int = 0
    skipped: int = 0
    cancelled: int = 0


def queue(conn: Connection, planned: Iterable[Planned], *, mailer: str,
          now: datetime) -> QueueCounts:
    """Queue each planned reminder once (in the caller's transaction)."""
    counts = QueueCounts()
    insert: Any = (postgresql.insert(reminders) if conn.dialect.name == "postgresql"
                   else sqlite.insert(reminders))
    for p in planned:
        if p.skipped or p.to_address is None:
            counts.skipped += 1
            continue
        made = conn.execute(insert.values(
            key=p.key, source=p.source, invoice_external_id=p.invoice_external_id,
            invoice_id=p.invoice_id, invoice_number=p.invoice_number,
            stage_days=p.stage.days_overdue, template=p.stage.template, mailer=mailer,
            to_address=p.to_address, subject=p.subject, body=p.body, message_id=p.message_id,
            status=QUEUED, attempts=0, queued_at=now,
        ).on_conflict_do_nothing(index_elements=["key"]).returning(reminders.c.id)).first()
        if made is None:
            counts.already += 1
            continue
        counts.queued += 1
        result = conn.execute(
            reminders.update()
            .where(reminders.c.source == p.source,
                   reminders.c.invoice_external_id == p.invoice_external_id,
                   reminders.c.stage_days < p.stage.days_overdue,
                   reminders.c.status == QUEUED)
            .values(status=CANCELLED,
                    last_error=f"replaced before it was sent by the {p.stage.days_overdue}-day "
                               "reminder"))
        counts.cancelled += result.rowcount or 0
    return counts
