"""``invoice_not_sent`` and ``invoice_sent_late`` findings: invoices out on time.

An invoice of one of ``[invoicing] sources`` that asks for money (open or partly
paid) and was not sent to its customer ``send_within_days`` after its date is
``invoice_not_sent`` (a send that bounced or was rejected counts as not sent, and
says so); an invoice whose due date had passed when it was sent is
``invoice_sent_late``. Sends are those ``billing-hub invoices send`` made
(:mod:`hub.invoicing`). The findings hold while the data says so: sending the
invoice resolves ``invoice_not_sent`` at the next reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hub.contract.names import record_name
from hub.contract.rules import Finding
from hub.money import from_minor_units
from hub.reconcile.kinds import DEFAULT_SEVERITY, Kind
from hub.store import Connection
from hub.store import invoice_sends as store

ASKING = ("open", "partially_paid")
GONE = (store.SENT, store.DELIVERED, store.SENDING, store.UNCONFIRMED)


@dataclass(frozen=True, slots=True)
class SendingPolicy:
    """Whose invoices must go out, and how soon after their date."""

    sources: tuple[str, ...]
    within_days: int
    today: date


def found(conn: Connection, policy: SendingPolicy | None) -> list[Finding]:
    """The findings the store shows under ``policy`` (None: no ``[invoicing]``: only the
    invoices sent late)."""
    sources = policy.sources if policy is not None else ()
    out: list[Finding] = []
    for s in store.sending_states(conn, sources):
        name = record_name(s.source, "invoice", s.external_id)
        number = s.number or s.external_id
        money = (from_minor_units(s.open_minor, s.currency)
                 if s.open_minor is not None and s.currency else None)
        if s.sent_at is not None and s.due is not None and s.sent_at.date() > s.due:
            late = (s.sent_at.date() - s.due).days
            out.append(Finding(
                key=f"{Kind.INVOICE_SENT_LATE.value}:{s.source}:{s.external_id}",
                kind=Kind.INVOICE_SENT_LATE.value, record_ids=[s.record_id],
                severity=DEFAULT_SEVERITY[Kind.INVOICE_SENT_LATE],
                explanation=(f"{name} ({number}) was sent on {s.sent_at.date()}, {late} day(s) "
                             f"after its due date {s.due}: the customer could not pay it on "
                             "time. Agree a new due date with them, or send invoices as "
                             "soon as they are issued (`billing-hub invoices send --due`)."),
                customer=s.customer, currency=s.currency, money_at_stake=money,
                details={"sent_on": s.sent_at.date().isoformat(), "due": s.due.isoformat(),
                         "days_late": late}))
            continue
        if (policy is None or s.source not in policy.sources or s.status not in ASKING
                or s.send_status in GONE or s.issued is None):
            continue
        deadline = s.issued + timedelta(days=policy.within_days)
        if policy.today <= deadline:
            continue
        why = (f" Its send was {s.send_status}: {s.reason}." if s.send_status else "")
        overdue = (f" Its due date {s.due} has passed." if s.due and s.due < policy.today
                   else "")
        out.append(Finding(
            key=f"{Kind.INVOICE_NOT_SENT.value}:{s.source}:{s.external_id}",
            kind=Kind.INVOICE_NOT_SENT.value, record_ids=[s.record_id],
            severity=DEFAULT_SEVERITY[Kind.INVOICE_NOT_SENT],
            explanation=(f"{name} ({number}) of {s.issued} was not sent to its customer "
                         f"within {policy.within_days} day(s).{why}{overdue} Send it: "
                         f"`billing-hub invoices send {name}`."),
            customer=s.customer, currency=s.currency, money_at_stake=money,
            details={"issued": s.issued.isoformat(), "deadline": deadline.isoformat(),
                     "send_status": s.send_status,
                     "actions": [f"billing-hub invoices send {name}"]}))
    return out
