"""Counts and sums of amounts per currency over the live records, in minor units.

Summed in the database from the integer minor units the store keeps, so
nothing is rounded and currencies are never added together; the reports turn
them into money (:mod:`hub.reports.overview`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import records

_c = records.c


@dataclass(slots=True)
class Sums:
    """How many records, and their amounts per currency (in currency order)."""

    count: int = 0
    minor: dict[str, int] = field(default_factory=dict)


def _sums(conn: Connection, column: sa.ColumnElement[int], *where: sa.ColumnElement[bool]
          ) -> Sums:
    stmt = (
        sa.select(_c.currency, sa.func.count(), sa.func.sum(column))
        .where(_c.deleted_at.is_(None), _c.currency.is_not(None), *where)
        .group_by(_c.currency)
        .order_by(_c.currency)
    )
    out = Sums()
    for currency, n, minor in conn.execute(stmt):
        out.count += n
        out.minor[currency] = int(minor or 0)
    return out


def _open() -> sa.ColumnElement[bool]:
    return sa.and_(_c.entity == "invoice", _c.open_minor > 0, _c.status.not_in(("void", "draft")))


def open_invoices(conn: Connection, *, due_before: date | None = None) -> Sums:
    """Invoices with a balance (not void or draft), and their balances; only those due
    before ``due_before`` when given."""
    if due_before is None:
        return _sums(conn, _c.open_minor, _open())
    return _sums(conn, _c.open_minor, _open(), _c.due_date < due_before)


def payments(conn: Connection) -> Sums:
    """Payments and their amounts."""
    return _sums(conn, _c.amount_minor, _c.entity == "payment")


def bank_in(conn: Connection) -> Sums:
    """Money-in bank lines and their amounts."""
    return _sums(conn, _c.amount_minor, _c.entity == "bank_transaction", _c.amount_minor > 0)


def bank_out(conn: Connection) -> Sums:
    """Money-out bank lines and their amounts (as positive sums)."""
    return _sums(conn, -_c.amount_minor, _c.entity == "bank_transaction", _c.amount_minor < 0)
