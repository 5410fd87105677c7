"""Reminders follow a payment plan's dates instead of the invoice's.

While an invoice's payment plan is on track (every instalment past its date
and grace days is paid), no reminder goes about it: the rule
``payment_plan`` holds it ("payment plan 3 on track: ... next USD 400.00 by
2026-12-15"). Once an instalment is missed (the plan is late or broken), the
reminder stages count from the first missed instalment's date instead of the
invoice's due date (:func:`due_date`). A completed plan's invoices are paid
and a cancelled plan holds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hub.collect.holds import Hold
from hub.contract.names import record_name
from hub.models import PlanState
from hub.reconcile.plans import Standing, standings
from hub.store import Connection, lookups
from hub.store import plans as store_plans

PAYMENT_PLAN = "payment_plan"


def _standing(conn: Connection, names: Sequence[str], today: date) -> list[Standing]:
    return standings(conn, store_plans.covering(conn, names), today)


def holds_for(conn: Connection, invoice_ids: Sequence[int], today: date) -> list[Hold]:
    """A ``payment_plan`` hold for each on-track plan covering these invoices (record ids)."""
    names = [record_name(r.source, r.entity, r.external_id)
             for r in lookups.shown(conn, list(invoice_ids))]
    return [Hold(PAYMENT_PLAN, f"payment plan {s.id} {s.text()}")
            for s in _standing(conn, names, today) if s.state is PlanState.ON_TRACK]


def due_date(conn: Connection, invoice: str, due: date, today: date) -> date:
    """The day the reminder stages of ``invoice`` (``SOURCE:invoice:ID``) count from: the
    first missed instalment's date of its late or broken plan, else ``due``."""
    for s in _standing(conn, [invoice], today):
        missed = s.missed
        if s.state in (PlanState.LATE, PlanState.BROKEN) and missed:
            return missed[0].due_date
    return due
