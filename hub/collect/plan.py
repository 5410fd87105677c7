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
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError

from hub.collect import contact_holds  # issue 19: what the customer said holds reminders
from hub.collect.contact_book import ContactBook
from hub.collect.settings import CollectionSettings, Stage, render
from hub.models import Invoice, InvoiceStatus
from hub.money import currency_exponent
from hub.store import Connection, reading
from hub.store import reminders as store_reminders
from hub.store.reminders import CANCELLED, FAILED, QUEUED, SENDING, SENT, UNCONFIRMED

__all__ = ["CANCELLED", "FAILED", "QUEUED", "REMINDABLE", "SENDING", "SENT", "UNCONFIRMED",
           "Planned", "QueueCounts", "message_id_for", "money", "plan", "queue",
           "reminder_key"]

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
    customer: str | None = None
    held: tuple[contact_holds.Hold, ...] = ()
    """What the customer said that holds it (:mod:`hub.collect.contact_holds`): not queued."""


def plan(conn: Connection, settings: CollectionSettings, today: date) -> list[Planned]:
    """The reminders due today (and, marked ``skipped``, the ones that cannot go)."""
    first = settings.stages[0].days_overdue
    candidates = reading.overdue_invoices(conn, settings.source, statuses=REMINDABLE,
                                          due_by=today - timedelta(days=first))
    reached = store_reminders.latest_stages(conn, settings.source,
                                            [ext for _, ext, _ in candidates])
    emails = _Emails(conn, settings.source)
    book = ContactBook(conn, settings.source)  # issue 19: contact holds
    out: list[Planned] = []
    for record_id, external_id, data in candidates:
        try:
            invoice = Invoice.model_validate_json(data)
        except ValidationError:  # the store only holds valid records; be safe anyway
            continue
        if invoice.due_date is None or invoice.balance is None or invoice.balance <= 0:
            continue
        days = (today - invoice.due_date).days
        stage = settings.stage_for(days)
        if stage is None or reached.get(external_id, -1) >= stage.days_overdue:
            continue
        planned = _planned(settings, record_id, invoice, days, stage, emails.of(invoice))
        # --- contact holds (issue 19): a dispute, a stop, a promise, an absence, a bounce
        customer = book.customer_of(invoice)
        held = contact_holds.holds_for(conn, customer, [invoice.number], today,
                                       address=planned.to_address,
                                       grace_days=settings.replies.promise_grace_days)
        out.append(replace(planned, customer=customer, held=tuple(held)))
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


class _Emails:
    """Customer e-mail addresses of one source, by reference and by unique name."""

    _KEYS = ("email", "customer_email", "bill_email", "billing_email")

    def __init__(self, conn: Connection, source: str) -> None:
        self.by_ref: dict[str, str] = {}
        by_name: dict[str, set[str]] = {}
        for ext, data in reading.contents(conn, source, "customer"):
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
    held: int = 0
    """Held by what the customer said (recorded in their history, not queued)."""


def queue(conn: Connection, planned: Iterable[Planned], *, mailer: str,
          now: datetime) -> QueueCounts:
    """Queue each planned reminder once (in the caller's transaction)."""
    counts = QueueCounts()
    for p in planned:
        if p.held:  # issue 19: recorded with its rule, not queued
            contact_holds.record_held(
                conn, customer=p.customer, key=p.key, invoice_number=p.invoice_number,
                stage_days=p.stage.days_overdue, holds=p.held, now=now,
                actor="billing-hub collect", when="before queueing")
            counts.held += 1
            continue
        if p.skipped or p.to_address is None:
            counts.skipped += 1
            continue
        made = store_reminders.add_once(
            conn, key=p.key, source=p.source, invoice_external_id=p.invoice_external_id,
            invoice_id=p.invoice_id, invoice_number=p.invoice_number,
            stage_days=p.stage.days_overdue, template=p.stage.template, mailer=mailer,
            to_address=p.to_address, subject=p.subject, body=p.body, message_id=p.message_id,
            now=now)
        if not made:
            counts.already += 1
            continue
        counts.queued += 1
        counts.cancelled += store_reminders.cancel_earlier(
            conn, p.source, p.invoice_external_id, p.stage.days_overdue,
            f"replaced before it was sent by the {p.stage.days_overdue}-day reminder")
    return counts
