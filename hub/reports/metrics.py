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

Each real invoice and payment counts once, whatever systems hold copies of
it: the copy :mod:`hub.reconcile.copies` says counts (the system of
record's), never the others. With ``explain``, each figure keeps the records
behind it (:class:`Behind`), which ``metrics --explain`` prints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hub.contract.names import record_name
from hub.money import from_minor_units
from hub.reconcile.copies import Counted
from hub.reconcile.matching import number_index
from hub.reconcile.rules_payments import Applications
from hub.reconcile.snapshot import InvoiceRow, InvoiceTable, PaymentTable, Snapshot
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
class Item:
    """One record behind a figure: the copy that counted, its share of the figure, and the
    copies of the same real thing set aside."""

    record: str
    amount: Decimal | None
    note: str = ""
    set_aside: list[str] = field(default_factory=list)


Behind = dict[str, list[Item]]
"""Figure name -> the records behind it (see :data:`FIGURES`)."""

FIGURES = {
    "invoiced": "invoices issued in the period (their totals)",
    "receivables": "open balances at the end of the period",
    "receivables_start": "what was owed at the start: totals less payments received before it",
    **{f"aging.{b}": f"open balances {b} days past due at the end"
       if b != "current" else "open balances not yet due at the end" for b in BUCKETS},
    "overdue_invoices": "open invoices past due at the end",
    "days_to_pay": "invoices paid in the period: days from issue to payment",
}
"""The figures of one currency an ``explain`` keeps the records of. DSO is receivables
over invoiced, CEI reads receivables_start, invoiced, receivables and aging.current,
overdue share is overdue_invoices over the receivables' invoices."""


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
    behind: Behind | None = None
    """With ``explain``: each figure's records (:data:`FIGURES`)."""

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
    counted: list[Item] | None = None
    """With ``explain``: the invoices and payments counted (the discrepancy rate's
    denominator), each with its copies set aside."""
    aging_by: str = "due_date"
    """``plan``: invoices under a payment plan aged by its instalments' dates;
    ``due_date``: by the invoice's due date."""

    @property
    def discrepancy_rate(self) -> Decimal | None:
        """Open findings per 100 invoices and payments."""
        if not self.records:
            return None
        return (Decimal(self.open_findings) * 100 / self.records).quantize(
            Decimal("0.01"), ROUND_HALF_UP)


def _pct(ratio: Decimal) -> Decimal:
    return (ratio * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _names(table: InvoiceTable | PaymentTable, rows: list[int], entity: str) -> list[str]:
    source, ext = table.source, table.external_id
    return [record_name(source[r], entity, ext.text(r)) for r in rows]


def compute(snapshot: Snapshot, start: date, end: date, open_findings: int,
            prefixes: tuple[str, ...] | list[str] = (), counted: Counted | None = None,
            *, explain: bool = False,
            planned: Mapping[str, list[tuple[date, int]]] | None = None) -> Metrics:
    """The metrics of the period ``[start, end]``, each real thing counted once.

    ``planned``: the open balance of invoices under a payment plan by instalment date
    (:mod:`hub.reports.plan_aging`), aged by those dates; None: by the due date.

    ``counted`` says which copy of each linked invoice and payment counts
    (:func:`hub.reconcile.copies.count_once`); without it every record counts.
    """
    invoices, payments = snapshot.invoices, snapshot.payments
    counted = counted or Counted.each(snapshot)
    ci, cp = counted.invoices, counted.payments
    numbers = number_index(invoices, prefixes)
    apps = Applications.build(invoices, payments, prefixes, numbers)
    paid_on: dict[int, date] = {}  # counted invoice row -> the day it was (last) paid
    paid_before: dict[int, int] = defaultdict(int)
    for row, prow, amount in apps:
        if not cp.counts[prow]:
            continue  # a copy of a payment counted under its system of record's record
        received, row = payments.received[prow], ci.counted(row)
        if received:
            paid_on[row] = max(paid_on.get(row, received), received)
            if received < start:
                paid_before[row] += amount
    for prow in range(len(payments)):  # "Payment for INV-1042": the memo names what it paid
        received = payments.received[prow]
        if not received or not cp.counts[prow] or payments.memo.is_empty(prow):
            continue
        for key in candidate_numbers(payments.memo.text(prow), prefixes):
            for row in {ci.counted(r) for r in numbers.get(key)}:
                if invoices.currency[row] == payments.currency[prow] and row not in paid_on:
                    paid_on[row] = received
                    if received < start:
                        paid_before[row] += min(payments.amount[prow], invoices.total[row])

    out: dict[str, CurrencyMetrics] = {}
    days = (end - start).days + 1
    for row in range(len(invoices)):
        if not ci.counts[row]:
            continue
        inv = invoices[row]
        if inv.status not in _LIVE or not inv.issue_date or inv.issue_date > end:
            continue
        cur = inv.currency
        m = out.get(cur) or out.setdefault(cur, CurrencyMetrics(cur))
        if explain and m.behind is None:
            m.behind = {name: [] for name in FIGURES}

        def note(figure: str, amount: Decimal | None, text: str = "",
                 m: CurrencyMetrics = m, inv: InvoiceRow = inv, row: int = row) -> None:
            if m.behind is not None:
                m.behind[figure].append(Item(inv.record_name, amount, text,
                                             _names(invoices, ci.copies.get(row, []),
                                                    "invoice")))

        total = from_minor_units(inv.total, cur)
        balance = from_minor_units(inv.balance, cur)
        if inv.issue_date >= start:
            m.invoiced += total
            note("invoiced", total, f"issued {inv.issue_date}")
        else:
            owed = from_minor_units(inv.total - paid_before.get(row, 0), cur)
            m.receivables_start += owed
            note("receivables_start", owed, f"issued {inv.issue_date}, total {total}")
        if row in paid_on and start <= paid_on[row] <= end:
            took = (paid_on[row] - inv.issue_date).days
            m.days_to_pay.append(took)
            note("days_to_pay", None, f"issued {inv.issue_date}, paid {paid_on[row]}: "
                                      f"{took} days")
        if balance <= 0:
            continue
        m.receivables_end += balance
        m.open_invoices += 1
        who = inv.customer or inv.customer_ref or "(no customer)"
        per = m.aging_by_customer.setdefault(who, m.zeros())
        overdue = ""
        for n, (due, part) in enumerate(_dated(inv, balance, planned, ci.copies.get(row, []),
                                               invoices)):
            past_due = (end - due).days
            b = bucket(past_due)
            when = (f"due {due}, {past_due} days past due" if past_due > 0 else f"due {due}")
            if n == 0:
                note("receivables", balance, when)
            note(f"aging.{b}", part, when)
            m.aging[b] += part
            per[b] += part
            if b == "current":
                m.current_end += part
            else:
                overdue = overdue or when
        if overdue:
            m.overdue_invoices += 1
            note("overdue_invoices", balance, overdue)
    for m in out.values():
        if m.invoiced:
            m.dso = (m.receivables_end / m.invoiced * days).quantize(Decimal("0.1"),
                                                                      ROUND_HALF_UP)
        denominator = m.receivables_start + m.invoiced - m.current_end
        if denominator > 0:
            m.cei = _pct((m.receivables_start + m.invoiced - m.receivables_end) / denominator)
    records = ci.distinct + cp.distinct
    result = Metrics(start, end, dict(sorted(out.items())), records, open_findings,
                     aging_by="due_date" if planned is None else "plan")
    if explain:
        result.counted = _counted_items(snapshot, counted)
    return result


def _dated(inv: InvoiceRow, balance: Decimal,
           planned: Mapping[str, list[tuple[date, int]]] | None, copies: list[int],
           invoices: InvoiceTable) -> list[tuple[date, Decimal]]:
    """The open ``balance`` of ``inv`` by the date it counts from: its plan's unpaid
    instalments (looked up under its name or a copy's), else its due date."""
    due = inv.due_date or inv.issue_date
    assert due is not None
    names = [inv.record_name, *_names(invoices, copies, "invoice")]
    pieces = next((planned[n] for n in names if planned and n in planned), None)
    if not pieces:
        return [(due, balance)]
    cur, left = inv.currency, balance
    out: list[tuple[date, Decimal]] = []
    for day, minor in pieces:
        part = min(from_minor_units(minor, cur), left)
        if part > 0:
            out.append((day, part))
            left -= part
    if left > 0:
        out.append((pieces[-1][0], left))
    return out


def _counted_items(snapshot: Snapshot, counted: Counted) -> list[Item]:
    items: list[Item] = []
    for entity, table, side, amounts in (
            ("invoice", snapshot.invoices, counted.invoices, snapshot.invoices.total),
            ("payment", snapshot.payments, counted.payments, snapshot.payments.amount)):
        for row in range(len(table)):
            if side.counts[row]:
                cur = table.currency[row]
                items.append(Item(_names(table, [row], entity)[0],
                                  from_minor_units(amounts[row], cur) if cur else None,
                                  entity, _names(table, side.copies.get(row, []), entity)))
    return items
