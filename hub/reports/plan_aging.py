"""The open balance of invoices under a payment plan, dated by the plan's instalments.

With ``[reconcile] aging_by = "plan"`` (the default) the aging buckets, the
overdue share and the CEI count what is open on a planned invoice by the
dates of the instalments not yet paid, instead of by the invoice's due date:
the unpaid instalments, in order, take the plan's invoices' open balances,
in the plan's order of invoices. With ``"due_date"`` a planned invoice ages
like any other. The metrics say which (``aging_by``).
"""

from __future__ import annotations

from datetime import date

from hub.money import to_minor_units
from hub.reconcile.plans import standings
from hub.store import Connection
from hub.store import plans as store_plans

Pieces = dict[str, list[tuple[date, int]]]
"""``SOURCE:invoice:ID`` -> (date, amount in minor units) of its open balance."""


def planned_pieces(conn: Connection, today: date) -> Pieces:
    """Each planned invoice's open balance split over its active plan's unpaid
    instalments, as judged on ``today``."""
    stored = store_plans.listed(conn, active_only=True)
    balances = store_plans.open_balances(conn, [r for p in stored for r in p.plan.invoice_refs])
    out: Pieces = {}
    for s in standings(conn, stored, today):
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
