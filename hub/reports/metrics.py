"""Accounts-receivable metrics, per currency (different currencies are never added).

Over a period ``[start, end]``, from the invoices and payments in the store:

- **DSO**: receivables at the end / invoiced in the period * days in the period;
- **aging** of open balances at the end: current, 1-30, 31-60, 61-90, 90+
  days past due, per customer and in total;
- **overdue share**: open invoices past due / open invoices;
- **average days to pay**: from issue to the payment applied to (or naming)
  the invoice, for invoices paid in the period;
- **discrepancy rate**: open findings per 100 invoices and payments;
- **CEI** (collection effectiveness index): (receivables at the start +
  invoiced - receivables at the end) / (receivables at the start + invoiced -
  current receivables at the end) * 100. The store keeps today's balances,
  not history, so receivables at the start are rebuilt from the invoices
  issued before it minus the payments received before it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hub.money import from_minor_units
from hub.reconcile.matching import number_index
from hub.reconcile.rules_payments import Applications
from hub.reconcile.snapshot import Snapshot
from hub.reconcile.text import candidate_numbers

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
_LIVE = ("open", "partially_paid", "paid", "uncollectible")


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


@dataclass(slots=True)
class CurrencyMetrics:
    """The metrics of one currency; amounts are Decimal in that currency."""

    currency: str
    invoiced: Decimal = Decimal(0)
    receivables_end: Decimal = Decimal(0)
    receivables_start: Decimal = Decimal(0)
    current_end: Decimal = Decimal(0)
    aging: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS,
                                                                              Decimal(0)))
    aging_by_customer: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    open_invoices: int = 0
    overdue_invoices: int = 0
    days_to_pay: list[int] = field(default_factory=list)
    dso: Decimal | None = None
    cei: Decimal | None = None

    def __post_init__(self) -> None:
        zero = from_minor_units(0, self.currency)  # 0.00 USD, 0 JPY, 0.000 KWD
        self.invoiced = self.receivables_end = self.receivables_start = self.current_end = zero
        self.aging = dict.fromkeys(BUCKETS, zero)

    def zeros(self) -> dict[str, Decimal]:
        return dict.fromkeys(BUCKETS, from_minor_units(0, self.currency))

    @property
    def overdue_share(self) -> Decimal | None:
        if not self.open_invoices:
            return None
        return _pct(Decimal(self.overdue_invoices) / self.open_invoices)

    @property
    def average_days_to_pay(self) -> Decimal | None:
        if not self.days_to_pay:
            return None
        return (Decimal(sum(self.days_to_pay)) / len(self.days_to_pay)).quantize(
            Decimal("0.1"), ROUND_HALF_UP)


@dataclass(slots=True)
class Metrics:
    start: date
    end: date
    by_currency: dict[str, CurrencyMetrics]
    records: int
    open_findings: int

    @property
    def discrepancy_rate(self) -> Decimal | None:
        """Open findings per 100 invoices and payments."""
        if not self.records:
            return None
        return (Decimal(self.open_findings) * 100 / self.records).quantize(
            Decimal("0.01"), ROUND_HALF_UP)


def _pct(ratio: Decimal) -> Decimal:
    return (ratio * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def compute(snapshot: Snapshot, start: date, end: date, open_findings: int,
            prefixes: tuple[str, ...] | list[str] = ()) -> Metrics:
    """The metrics of the period ``[start, end]``."""
    invoices, payments = snapshot.invoices, snapshot.payments
    numbers = number_index(invoices, prefixes)
    apps = Applications.build(invoices, payments, prefixes, numbers)
    paid_on: dict[int, date] = {}
    paid_before: dict[int, int] = defaultdict(int)
    for row, prow, amount in apps:
        received, inv_id = payments.received[prow], invoices.ids[row]
        if received:
            paid_on[inv_id] = max(paid_on.get(inv_id, received), received)
            if received < start:
                paid_before[inv_id] += amount
    for prow in range(len(payments)):  # "Payment for INV-1042": the memo names what it paid
        received = payments.received[prow]
        if not received or payments.memo.is_empty(prow):
            continue
        for key in candidate_numbers(payments.memo.text(prow), prefixes):
            for row in numbers.get(key):
                inv_id = invoices.ids[row]
                if invoices.currency[row] == payments.currency[prow] and inv_id not in paid_on:
                    paid_on[inv_id] = received
                    if received < start:
                        paid_before[inv_id] += min(payments.amount[prow], invoices.total[row])

    out: dict[str, CurrencyMetrics] = {}
    days = (end - start).days + 1
    for inv in snapshot.invoices:
        if inv.status not in _LIVE or not inv.issue_date or inv.issue_date > end:
            continue
        cur = inv.currency
        m = out.get(cur) or out.setdefault(cur, CurrencyMetrics(cur))
        total = from_minor_units(inv.total, cur)
        balance = from_minor_units(inv.balance, cur)
        if inv.issue_date >= start:
            m.invoiced += total
        else:
            m.receivables_start += from_minor_units(inv.total - paid_before.get(inv.id, 0), cur)
        if inv.id in paid_on and start <= paid_on[inv.id] <= end:
            m.days_to_pay.append((paid_on[inv.id] - inv.issue_date).days)
        if balance <= 0:
            continue
        m.receivables_end += balance
        m.open_invoices += 1
        past_due = (end - (inv.due_date or inv.issue_date)).days
        b = bucket(past_due)
        m.aging[b] += balance
        who = inv.customer or inv.customer_ref or "(no customer)"
        per = m.aging_by_customer.setdefault(who, m.zeros())
        per[b] += balance
        if b == "current":
            m.current_end += balance
        else:
            m.overdue_invoices += 1
    for m in out.values():
        if m.invoiced:
            m.dso = (m.receivables_end / m.invoiced * days).quantize(Decimal("0.1"),
                                                                      ROUND_HALF_UP)
        denominator = m.receivables_start + m.invoiced - m.current_end
        if denominator > 0:
            m.cei = _pct((m.receivables_start + m.invoiced - m.receivables_end) / denominator)
    records = len(snapshot.invoices) + len(snapshot.payments)
    return Metrics(start, end, dict(sorted(out.items())), records, open_findings)
