"""A short account of what the store holds, in money a coordinator reads.

Amounts are summed per currency from the integer minor units the store keeps,
so nothing is rounded and different currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.money import from_minor_units
from hub.store.schema import records

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


def _totals(conn: Connection, column: sa.ColumnElement[int], *where: sa.ColumnElement[bool]
            ) -> tuple[int, CurrencyTotals]:
    stmt = (
        sa.select(records.c.currency, sa.func.count(), sa.func.sum(column))
        .where(records.c.deleted_at.is_(None), records.c.currency.is_not(None), *where)
        .group_by(records.c.currency)
        .order_by(records.c.currency)
    )
    count, totals = 0, {}
    for currency, n, minor in conn.execute(stmt):
        count += n
        totals[currency] = from_minor_units(int(minor or 0), currency)
    return count, totals


def overview(conn: Connection, as_of: date) -> Overview:
    """What the store holds on ``as_of``, per currency."""
    inv = records.c.entity == "invoice"
    is_open = sa.and_(inv, records.c.open_minor > 0, records.c.status.not_in(("void", "draft")))
    result = Overview(as_of=as_of)
    result.open_invoices, result.open_balance = _totals(conn, records.c.open_minor, is_open)
    result.overdue_invoices, result.overdue_balance = _totals(
        conn, records.c.open_minor, is_open, records.c.due_date < as_of)
    result.payments, result.payments_total = _totals(
        conn, records.c.amount_minor, records.c.entity == "payment")
    bank = records.c.entity == "bank_transaction"
    _, result.bank_in = _totals(conn, records.c.amount_minor, bank, records.c.amount_minor > 0)
    _, result.bank_out = _totals(conn, -records.c.amount_minor, bank, records.c.amount_minor < 0)
    return result


def money_text(totals: CurrencyTotals) -> str:
    """``EUR 1,250.00 + USD 80.00``, or ``nothing``."""
    if not totals:
        return "nothing"
    return " + ".join(f"{cur} {amount:,}" for cur, amount in sorted(totals.items()))
