"""What a reconcile run measures for the trend: cash received and applied, per currency.

**Cash received** is the money of every receipt the run decides on that is a
customer's money: payments, and bank credits that no payment record or payout
accounts for; money out, credits that are not a customer's (interest, a
transfer) and a payment booked twice (counted once) are left out.

**Cash applied** is the part of it that pays invoices without anyone doing
anything, or by a coordinator's confirmed suggestion: what the receipt's own
system applied (a coordinator's application included, once a sync confirmed
it); all of a receipt whose memo names an invoice its system counts as paid by
it; for a receipt the matcher decides (a suggestion at or above
``[reconcile.matching] confident``), what it applies to the invoices' balances;
and what a coordinator applied with ``apply-payment`` that its system has not
confirmed yet. The **match rate** is applied over received.
"""

from __future__ import annotations

from hub.reconcile.cash.run import APPLIED, DUPLICATE, ELSEWHERE, MATCHED, NOT_CUSTOMER, SETTLED
from hub.reconcile.context import RunContext
from hub.reconcile.copies import Counted
from hub.store.trend import Measure

NOT_CASH = (NOT_CUSTOMER, ELSEWHERE, DUPLICATE)


def measure(context: RunContext, counted: Counted | None = None) -> dict[str, Measure]:
    """Currency -> cash received, cash applied and the invoices and payments of the run,
    each real invoice and payment counted once (``counted``; every record without it),
    as ``billing-hub metrics`` counts them for its discrepancy rate."""
    out: dict[str, Measure] = {}
    awaiting = context.snapshot.awaiting
    for decision in context.cash:
        if decision.kind in NOT_CASH:
            continue
        p = decision.receipt
        m = out.setdefault(p.currency, Measure())
        m.cash_minor += p.amount
        if decision.kind in (APPLIED, SETTLED):
            m.applied_minor += p.amount
            continue
        extra = 0
        if decision.kind in MATCHED and decision.suggestions:
            extra = sum(decision.suggestions[0].amounts)
        extra += sum(c.amount for c in awaiting.get(p.id, ()) if c.currency == p.currency)
        m.applied_minor += p.applied + max(0, min(p.unapplied, extra))
    counted = counted or Counted.each(context.snapshot)
    for row, invoice in enumerate(context.snapshot.invoices):
        if counted.invoices.counts[row]:
            out.setdefault(invoice.currency, Measure()).records += 1
    for row, payment in enumerate(context.snapshot.payments):
        if counted.payments.counts[row]:
            out.setdefault(payment.currency, Measure()).records += 1
    return out
