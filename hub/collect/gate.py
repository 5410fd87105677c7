"""The one place that says whether a reminder may be queued, and then sent.

The planner asks :func:`holds_before_contact` before it queues a reminder;
the sender asks it again right before it hands the reminder to the mail
server, and then asks :func:`hub.collect.timing.wait_for` whether now is a
time the customer may be contacted. Every rule that holds a reminder adds
its :class:`~hub.collect.holds.Hold` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from hub.collect import contact_holds, plan_holds
from hub.collect.holds import Hold
from hub.collect.known import Known
from hub.store import Connection


def holds_before_contact(conn: Connection, known: Known, *, customer: str | None,
                         invoice_ids: Sequence[int], now: datetime,
                         invoice_numbers: Sequence[str] = (), address: str | None = None,
                         today: date | None = None, grace_days: int = 3) -> list[Hold]:
    """Every hold on contacting ``customer`` about the invoices with these record ids
    (numbered ``invoice_numbers``) at ``address``: what the hub knows of them in every
    system (:class:`Known`), an on-track payment plan (:mod:`hub.collect.plan_holds`),
    and what the customer said (a dispute, a stop, a promise to
    pay, an absence, a bounced address: :mod:`hub.collect.contact_holds`; a dispute a
    connector pulled, such as a chargeback in Stripe, holds the invoice it names and
    every copy the reconciler links to it), judged on
    ``today`` (default: ``now``'s day)."""
    found: list[Hold] = []
    refs: list[str] = []
    for invoice_id in invoice_ids:
        found.extend(known.holds(invoice_id))
        refs.extend(copy.record_name for copy in known.copies(invoice_id))
    found.extend(plan_holds.holds_for(conn, invoice_ids, today or now.date()))
    said = contact_holds.holds_for(conn, customer, invoice_numbers, today or now.date(),
                                   address=address, grace_days=grace_days,
                                   invoice_refs=refs)
    # each is checked again at every collect and send: it holds until the reply's date passes
    found.extend(Hold(h.rule, h.reason) for h in said)
    return found
