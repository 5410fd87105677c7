"""What the customer said that holds a reminder: one function the planner and the sender
call, :func:`holds_for`.

A reminder about an invoice is held when

- a dispute is open on it (or on the customer with no invoice named):
  "dispute open on INV-1005"; a dispute raised by the customer's reply, or
  one a connector pulled (a card chargeback in Stripe: "dispute open on
  INV-0042 (stripe dispute dp_..., evidence due 2026-12-10)"), which also
  holds every copy of its invoice the reconciler links;
- the customer asked to stop all contact, until a coordinator lifts it
  (``billing-hub customer contact NAME --resume``): "customer asked to stop
  contact on 2026-11-02";
- the customer promised to pay it (or all their invoices) by a date, until
  that date plus ``[collections.replies] promise_grace_days``: "promise to pay
  by 2026-12-10";
- the customer's out-of-office answer names a return date still to come:
  "out of office until 2026-12-14";
- the address the reminder goes to bounced: "address ap@x.example bounced".

The planner asks before it queues a reminder (a held one is recorded in the
customer's history with its rule and not queued); the sender asks again
right before it hands a queued one to the mail server (a held one stays
queued and is recorded the same way, and goes once nothing holds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from hub.store import Connection
from hub.store import contact as store_contact

DISPUTE_OPEN = "dispute_open"
DO_NOT_CONTACT = "do_not_contact"
PROMISE_TO_PAY = "promise_to_pay"
OUT_OF_OFFICE = "out_of_office"
ADDRESS_BOUNCED = "address_bounced"


@dataclass(frozen=True, slots=True)
class Hold:
    """One rule that stops a reminder: its name, why, and (for a wait) until when."""

    rule: str
    """A short stable name (``dispute_open``, ``do_not_contact``, ...)."""
    reason: str
    """What a coordinator reads: "dispute open on INV-1005"."""
    until: date | None = None
    """The last day it holds, for a promise or an absence; None: until a person acts."""

    def text(self) -> str:
        return f"{self.rule}: {self.reason}"


def holds_for(conn: Connection, customer: str | None, invoices: Sequence[str], today: date,
              *, address: str | None = None, grace_days: int = 3,
              invoice_refs: Sequence[str] = ()) -> list[Hold]:
    """Every hold on contacting ``customer`` (``SOURCE:customer:ID``) about the invoices
    numbered ``invoices`` (named ``invoice_refs`` in every system that holds a copy), on
    ``today``, at ``address``."""
    numbers = {n.casefold() for n in invoices}
    refs = set(invoice_refs)
    found: list[Hold] = []
    seen: set[tuple[str, str]] = set()
    mine = store_contact.disputes_of(conn, customer) if customer is not None else []
    others = store_contact.open_pulled_disputes(conn) if refs else []
    for dispute in [*mine, *others]:
        key = (dispute.source, dispute.external_id)
        if key in seen or not dispute.status.is_open:
            continue
        on_copy = bool(refs & set(dispute.invoice_refs))
        named = {n.casefold() for n in dispute.invoice_numbers}
        ours = (customer is not None and dispute.customer_ref == customer
                and (not named or bool(named & numbers)))
        if not (on_copy or ours):
            continue
        seen.add(key)
        which = ", ".join(n for n in dispute.invoice_numbers if n.casefold() in numbers) or (
            ", ".join(dispute.invoice_numbers) if on_copy else "")
        what = (f"dispute open on {which}" if which else "dispute open on the customer's "
                f"account (no invoice named) since {dispute.opened_at.date()}")
        if dispute.charge_ref:  # a card dispute: say which, and its deadline
            due = f", evidence due {dispute.evidence_due}" if dispute.evidence_due else ""
            what += f" ({dispute.source} dispute {dispute.external_id}{due})"
        found.append(Hold(DISPUTE_OPEN, what))
    if customer is not None:
        for promise in store_contact.promises_of(conn, customer):
            named = {n.casefold() for n in promise.invoice_numbers}
            last = promise.promised_date + timedelta(days=grace_days)
            if today > last or (named and not named & numbers):
                continue
            found.append(Hold(PROMISE_TO_PAY, f"promise to pay by {promise.promised_date}"
                              + (f" (held to {last}, {grace_days} days' grace)"
                                 if grace_days else ""), until=last))
    for block in store_contact.blocks(conn, customer=customer,
                                      addresses=[address] if address else ()):
        if block.kind == store_contact.STOP:
            found.append(Hold(DO_NOT_CONTACT, "customer asked to stop contact on "
                              f"{block.created_at.date()}"))
        elif block.kind == store_contact.AWAY and block.until is not None and \
                today < block.until:
            found.append(Hold(OUT_OF_OFFICE, f"out of office until {block.until}",
                              until=block.until - timedelta(days=1)))
        elif block.kind == store_contact.BOUNCED and address and block.address == \
                address.lower():
            found.append(Hold(ADDRESS_BOUNCED, f"address {block.address} bounced on "
                              f"{block.created_at.date()}"))
    return found


class HoldLike(Protocol):
    """A hold of any rule: what the customer said, or what the hub knows
    (:class:`hub.collect.holds.Hold`)."""

    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def until(self) -> date | None: ...


def record_held(conn: Connection, *, customer: str | None, key: str, invoice_number: str,
                stage_days: int, holds: Sequence[HoldLike], now: datetime, actor: str,
                when: str) -> None:
    """Keep, once per reminder and rule, that ``holds`` held the reminder ``key``."""
    for hold in holds:
        store_contact.add_event(
            conn, customer=customer, at=now, kind="hold", actor=actor,
            summary=f"{stage_days}-day reminder for {invoice_number} held {when}: "
                    f"{hold.reason}",
            details={"rule": hold.rule, "reason": hold.reason, "reminder_key": key,
                     "invoice": invoice_number, "stage_days": stage_days,
                     "until": hold.until},
            ref=f"hold:{key}:{hold.rule}:{hold.until or ''}")
