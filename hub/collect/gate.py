"""The one place that says whether a reminder may be queued, and then sent.

The planner asks :func:`holds_before_contact` before it queues a reminder;
the sender asks it again right before it hands the reminder to the mail
server, and then asks :func:`hub.collect.timing.wait_for` whether now is a
time the customer may be contacted. Every rule that holds a reminder adds
its :class:`~hub.collect.holds.Hold` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.collect.holds import Hold
from hub.collect.known import Known
from hub.store import Connection


def holds_before_contact(conn: Connection, known: Known, *, customer: str | None,
                         invoice_ids: Sequence[int], now: datetime) -> list[Hold]:
    """Every hold on contacting ``customer`` about the invoices with these record ids:
    what the hub knows of them in every system (:class:`Known`)."""
    found: list[Hold] = []
    for invoice_id in invoice_ids:
        found.extend(known.holds(invoice_id))
    return found
