"""Which overdue invoice is due which reminder, and queueing each reminder once.

An invoice of ``[collections] source`` is reminded when it is open or
partially paid, its balance is above zero, it is not deleted, and its due
date plus a stage's ``days_overdue`` is today or earlier. It gets the
reminder of the **latest** stage it has reached, and only if no reminder of
that stage or a later one was queued for it before: an invoice first seen
40 days overdue gets the 30-day reminder, not the 7-day one as well, and an
invoice already sent the 30-day reminder is never sent the 7-day one.
Queueing a later stage cancels an earlier one still waiting to be sent.

Before a reminder is queued, :func:`hub.collect.gate.holds_before_contact`
says whether a rule holds it (paid in another system, covered by a
receipt, ...): a held reminder is recorded ``held`` with the rule and the
reason, and is queued by the first run at which no rule holds it any more.
A stage whose action is ``call`` or ``escalate`` is recorded as a ``task``
for a person, never sent.

An invoice under a payment plan is held while the plan is on track, and
once an instalment is missed its stages count from that instalment's date
(:mod:`hub.collect.plan_holds`).

Each reminder's key digests the source, the invoice's id there and the
stage: the same reminder always has the same key (the store keeps it
unique), so running ``billing-hub collect`` again queues nothing new, and
the ``Message-ID`` derived from it is the same at every attempt.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError

from hub.collect import contact_holds, plan_holds
from hub.collect.gate import holds_before_contact
from hub.collect.holds import Hold
from hub.collect.known import Known
from hub.collect.settings import CollectionSettings, Stage, opt_out_line, render
from hub.contract.names import record_name
from hub.models import Invoice, InvoiceStatus
from hub.money import currency_exponent
from hub.store import Connection, audit, reading
from hub.store import reminders as store_reminders
from hub.store.clock import utcnow
from hub.store.reminders import (
    CANCELLED,
    DONE,
    FAILED,
    HELD,
    QUEUED,
    SENDING,
    SENT,
    TASK,
    UNCONFIRMED,
)

__all__ = ["CANCELLED", "DONE", "FAILED", "HELD", "QUEUED", "REMINDABLE", "SENDING", "SENT",
           "TASK", "UNCONFIRMED", "Planned", "QueueCounts", "message_id_for", "money", "plan",
           "queue", "reminder_key"]

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
    """Whom it contacts: the customer's record name, else ``name:...`` or ``email:...``."""
    holds: tuple[Hold, ...] = ()
    """The rules that hold it (empty: it may be queued)."""

    @property
    def held(self) -> bool:
        return bool(self.holds)


def plan(conn: Connection, settings: CollectionSettings, today: date, *,
         known: Known | None = None, now: datetime | None = None) -> list[Planned]:
    """The reminders due today (marked ``skipped``, the ones that cannot go; with
    ``holds``, the ones a rule holds). ``known`` is what the hub knows of every system
    (by default read now, with the default [reconcile] settings)."""
    known = known if known is not None else Known(conn, _default_reconcile())
    now = now or utcnow()
    first = settings.stages[0].days_overdue
    candidates = reading.overdue_invoices(conn, settings.source, statuses=REMINDABLE,
                                          due_by=today - timedelta(days=first))
    reached = store_reminders.latest_stages(conn, settings.source,
                                            [ext for _, ext, _ in candidates])
    customers = _Customers(conn, settings.source)
    out: list[Planned] = []
    for record_id, external_id, data in candidates:
        try:
            invoice = Invoice.model_validate_json(data)
        except ValidationError:  # the store only holds valid records; be safe anyway
            continue
        if invoice.due_date is None or invoice.balance is None or invoice.balance <= 0:
            continue
        due = plan_holds.due_date(conn, record_name(settings.source, "invoice", external_id),
                                  invoice.due_date, today)  # a missed instalment's date
        if due != invoice.due_date:
            invoice = invoice.model_copy(update={"due_date": due})
        days = (today - due).days
        stage = settings.stage_for(days)
        if stage is None or reached.get(external_id, -1) >= stage.days_overdue:
            continue
        to, customer = customers.of(invoice)
        planned = _planned(settings, record_id, invoice, days, stage, to, customer)
        held = holds_before_contact(conn, known, customer=customer, invoice_ids=[record_id],
                                    now=now, invoice_numbers=[invoice.number], address=to,
                                    today=today,
                                    grace_days=settings.replies.promise_grace_days)
        out.append(dataclasses.replace(planned, holds=tuple(held)) if held else planned)
    return out


def _default_reconcile() -> Any:
    from hub.reconcile.settings import ReconcileSettings

    return ReconcileSettings()


TASK_TEXT = {
    "call": ("Call {customer_name} about invoice {invoice_number}, {amount_due} overdue",
             "Invoice {invoice_number} (due {due_date}) is {days_overdue} days overdue with "
             "{amount_due} open, after the reminders by e-mail. Call the customer."),
    "escalate": ("Escalate invoice {invoice_number} of {customer_name}, {amount_due} overdue",
                 "Invoice {invoice_number} (due {due_date}) is {days_overdue} days overdue "
                 "with {amount_due} open, after the reminders and a call. Decide on the next "
                 "step (a final notice, a payment plan, a collection agency)."),
}
"""Subject and text of the task a ``call`` or ``escalate`` stage makes for a person."""


def _planned(settings: CollectionSettings, record_id: int, invoice: Invoice, days: int,
             stage: Stage, to: str | None, customer: str | None) -> Planned:
    assert invoice.balance is not None and invoice.due_date is not None
    key = reminder_key(settings.source, invoice.external_id, stage.days_overdue)
    name = invoice.customer_name or invoice.customer_ref or "customer"
    values: dict[str, object] = {
        "customer_name": name, "invoice_number": invoice.number,
        "amount_due": money(invoice.balance, invoice.currency),
        "total": money(invoice.total or Decimal(0), invoice.currency),
        "currency": invoice.currency, "due_date": invoice.due_date.isoformat(),
        "issue_date": invoice.issue_date.isoformat(), "days_overdue": days,
        "company": settings.company, "reply_to": settings.reply_address,
    }
    if stage.template is None:
        subject, body = (render(t, values) for t in TASK_TEXT[stage.action])
        skipped = None
    else:
        template = settings.all_templates()[stage.template]
        subject = render(template.subject, values)
        body = render(template.body, values).rstrip("\n") + "\n\n-- \n" + opt_out_line(
            settings) + "\n"
        skipped = None if to else (f"no e-mail address for {name} (neither on the customer "
                                   f"record nor on invoice {invoice.number})")
    return Planned(
        key=key, source=settings.source, invoice_id=record_id,
        invoice_external_id=invoice.external_id, invoice_number=invoice.number,
        customer_name=name, balance=invoice.balance, currency=invoice.currency,
        due_date=invoice.due_date, days_overdue=days, stage=stage, to_address=to,
        subject=subject, body=body, message_id=message_id_for(key, settings.from_address),
        skipped=skipped, customer=customer)


class _Customers:
    """Customers of one source (record name, e-mail address), by reference and by unique
    name."""

    _KEYS = ("email", "customer_email", "bill_email", "billing_email")

    def __init__(self, conn: Connection, source: str) -> None:
        self.source = source
        self.by_ref: dict[str, str | None] = {}
        by_name: dict[str, set[tuple[str, str | None]]] = {}
        for ext, data in reading.contents(conn, source, "customer"):
            customer: dict[str, Any] = orjson.loads(data)
            email = _first_address(customer.get("email"))
            self.by_ref[ext] = email
            by_name.setdefault(str(customer.get("name", "")).casefold(), set()).add(
                (ext, email))
        self.by_name = {n: next(iter(e)) for n, e in by_name.items() if len(e) == 1}

    def of(self, invoice: Invoice) -> tuple[str | None, str | None]:
        """(e-mail address, whom it contacts) for a reminder of ``invoice``."""
        ext: str | None = None
        email: str | None = None
        if invoice.customer_ref and invoice.customer_ref in self.by_ref:
            ext, email = invoice.customer_ref, self.by_ref[invoice.customer_ref]
        elif invoice.customer_name and invoice.customer_name.casefold() in self.by_name:
            ext, email = self.by_name[invoice.customer_name.casefold()]
        for key in self._KEYS:
            found = _first_address(invoice.metadata.get(key))
            if found:
                email = found
                break
        if ext is not None:
            who: str | None = record_name(self.source, "customer", ext)
        elif invoice.customer_ref or invoice.customer_name:
            who = f"name:{(invoice.customer_name or invoice.customer_ref or '').casefold()}"
        else:
            who = f"email:{email.casefold()}" if email else None
        return email, who


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
    """Recorded held now (new, or queued before and held since)."""
    released: int = 0
    """Held before, queued again now: no rule holds them any more."""
    tasks: int = 0
    """Tasks for a person (call, escalate) recorded now."""


def queue(conn: Connection, planned: Iterable[Planned], *, mailer: str,
          now: datetime) -> QueueCounts:
    """Queue each planned reminder once, record the held ones ``held`` with their rule,
    and queue again the held ones no rule holds any more (in the caller's transaction)."""
    counts = QueueCounts()
    for p in planned:
        task = p.stage.is_task
        if not task and (p.skipped or p.to_address is None):
            counts.skipped += 1
            continue
        first = p.holds[0] if p.holds else None
        existing = store_reminders.by_key(conn, p.key)
        if existing is None:
            store_reminders.add_once(
                conn, key=p.key, source=p.source, invoice_external_id=p.invoice_external_id,
                invoice_id=p.invoice_id, invoice_number=p.invoice_number,
                stage_days=p.stage.days_overdue, template=p.stage.label, mailer=mailer,
                to_address=p.to_address or "", subject=p.subject, body=p.body,
                message_id=p.message_id, now=now, customer=p.customer,
                status=HELD if first else TASK if task else QUEUED,
                hold_rule=first.rule if first else None, reason=_reason(p.holds) or None)
            found = store_reminders.by_key(conn, p.key)
            assert found is not None
            if first:
                counts.held += 1
                _audit_hold(conn, found.id, p, now)
                continue
            counts.tasks += task
            counts.queued += not task
        elif first:
            if existing.status in (QUEUED, TASK) or (existing.status == HELD and (
                    existing.hold_rule, existing.last_error) != (first.rule, _reason(p.holds))):
                store_reminders.hold(conn, existing.id, rule=first.rule,
                                     reason=_reason(p.holds), now=now)
                if existing.status != HELD:
                    counts.held += 1
                    _audit_hold(conn, existing.id, p, now)
                    continue
            counts.already += 1
            continue
        elif existing.status == HELD:
            store_reminders.release(conn, existing.id, TASK if task else QUEUED)
            audit.record(conn, "reminder.released", subject=f"reminder:{existing.id}", at=now,
                         details={"was": existing.hold_rule, "reason": existing.last_error})
            counts.released += 1
        else:
            counts.already += 1
            continue
        counts.cancelled += store_reminders.cancel_earlier(
            conn, p.source, p.invoice_external_id, p.stage.days_overdue,
            f"replaced before it was sent by the {p.stage.days_overdue}-day stage")
    return counts


def _reason(holds: Iterable[Hold]) -> str:
    return "; ".join(h.text() for h in holds)


def _audit_hold(conn: Connection, rid: int, p: Planned, now: datetime) -> None:
    audit.record(conn, "reminder.held", subject=f"reminder:{rid}", at=now, details={
        "invoice": f"{p.source}:{p.invoice_number}", "stage_days": p.stage.days_overdue,
        "customer": p.customer, "rules": [h.rule for h in p.holds],
        "reason": _reason(p.holds)})
    contact_holds.record_held(conn, customer=p.customer, key=p.key,
                              invoice_number=p.invoice_number, stage_days=p.stage.days_overdue,
                              holds=p.holds, now=now, actor="billing-hub collect",
                              when="before queueing")
