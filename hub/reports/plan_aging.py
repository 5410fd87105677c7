"""The open balance of invoices under a payment plan, dated by the plan's instalments.

With ``[reconcile] aging_by = "plan"`` (the default) the aging buckets, the
overdue share and the CEI count what is open on a planned invoice by the
dates of the instalments not yet paid, instead of by the invoice's due date:
the unpaid instalments, in order, take the plan's invoices' open balances,
in the plan's order of invoices. With ``"due_date"`` a planned invoice ages
like any other. The metrics say which (``aging_by``).
"""

from __future__ import annotations

from datetime import date, datetime

from hub.money import to_minor_units
from hub.reconcile.plans import judge
from hub.reconcile.snapshot import Snapshot
from hub.store import Connection
from hub.store import plans as store_plans
from hub.store.plans import InvoiceOpen

Pieces = dict[str, list[tuple[date, int]]]
"""``SOURCE:invoice:ID`` -> (date, amount in minor units) of its open balance."""


def _as_of(snapshot: Snapshot) -> dict[str, InvoiceOpen]:
    """The open balances of the snapshot's invoices (the store as it stood then)."""
    inv = snapshot.invoices
    out: dict[str, InvoiceOpen] = {}
    for r in range(len(inv)):
        row = inv[r]
        live = row.status in ("open", "partially_paid")
        out[row.record_name] = InvoiceOpen(row.record_name, row.id, row.number, row.status,
                                           row.currency, max(row.balance, 0) if live else 0,
                                           row.customer_ref)
    return out


def planned_pieces(conn: Connection, today: date, *, as_of: datetime | None = None,
                   snapshot: Snapshot | None = None) -> Pieces:
    """Each planned invoice's open balance split over its active plan's unpaid
    instalments, as judged on ``today``; ``as_of``: the plans agreed and not cancelled
    by then, with the open balances of ``snapshot`` (the store as it stood then)."""
    stored = store_plans.listed(conn)
    if as_of is None:
        stored = [p for p in stored if p.active]
    else:
        stored = [p for p in stored if p.plan.agreed_at <= as_of
                  and (p.cancelled_at is None or p.cancelled_at > as_of)]
        stored = [store_plans.StoredPlan(p.id, p.plan, None, None) for p in stored]
    balances = (_as_of(snapshot) if snapshot is not None and as_of is not None else
                store_plans.open_balances(conn, [r for p in stored for r in p.plan.invoice_refs]))
    out: Pieces = {}
    for s in (judge(p, balances, today) for p in stored):
        cur = s.plan.currency
        due = [(i.due_date, to_minor_units(i.short, cur)) for i in s.instalments
               if not i.settled]
        for ref in s.plan.invoice_refs:
            left = balances[ref].open_minor if ref in balances else 0
            pieces: list[tuple[date, int]] = []
            while left > 0 and due:
                day, part = due[0]
                take = min(part, left)
                pieces.append((day, take))
                left -= take
                due[0] = (day, part - take)
                if due[0][1] == 0:
                    due.pop(0)
            if pieces:
                out[ref] = pieces
    return out
