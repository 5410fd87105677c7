"""A short account of what the store holds, in money a coordinator reads.

Amounts are summed per currency from the integer minor units the store keeps,
so nothing is rounded and different currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hub.money import from_minor_units
from hub.store import Connection, totals

CurrencyTotals = dict[str, Decimal]


@dataclass(slots=True)
class Overview:
    """Receivables, overdue invoices, payments received and bank movements."""

    as_of: date
    open_invoices: int = 0
    open_balance: CurrencyTotals = field(default_factory=dict)
    overdue_invoices: int = 0
    overdue_balance: CurrencyTotals = field(default_factory=dict)
    payments: int = 0
    payments_total: CurrencyTotals = field(default_factory=dict)
    bank_in: CurrencyTotals = field(default_factory=dict)
    bank_out: CurrencyTotals = field(default_factory=dict)


def _money(sums: totals.Sums) -> tuple[int, CurrencyTotals]:
    return sums.count, {cur: from_minor_units(minor, cur) for cur, minor in sums.minor.items()}


def overview(conn: Connection, as_of: date) -> Overview:
    """What the store holds on ``as_of``, per currency."""
    result = Overview(as_of=as_of)
    result.open_invoices, result.open_balance = _money(totals.open_invoices(conn))
    result.overdue_invoices, result.overdue_balance = _money(
        totals.open_invoices(conn, due_before=as_of))
    result.payments, result.payments_total = _money(totals.payments(conn))
    _, result.bank_in = _money(totals.bank_in(conn))
    _, result.bank_out = _money(totals.bank_out(conn))
    return result


def money_text(totals: CurrencyTotals) -> str:
    """``EUR 1,250.00 + USD 80.00``, or ``nothing``."""
    if not totals:
        return "nothing"
    return " + ".join(f"{cur} {amount:,}" for cur, amount in sorted(totals.items()))
