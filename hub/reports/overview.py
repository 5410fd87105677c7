"""A short account of what the store holds, in money a coordinator reads.

Amounts are summed per currency from the integer minor units the store keeps,
so nothing is rounded and different currencies are never added together. An
invoice or payment held in several systems counts once, as its system of
record has it (:mod:`hub.reconcile.copies`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hub.money import from_minor_units
from hub.reconcile import copies
from hub.reconcile.settings import ReconcileSettings
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


def _add(into: CurrencyTotals, minor: dict[str, int]) -> None:
    for cur in sorted(minor):
        into[cur] = from_minor_units(minor[cur], cur)


def overview(conn: Connection, as_of: date, settings: ReconcileSettings) -> Overview:
    """What the store holds on ``as_of``, per currency, each real invoice and payment
    counted once."""
    result = Overview(as_of=as_of)
    snapshot, counted = copies.load(conn, settings)
    inv = snapshot.invoices
    owed: dict[str, int] = defaultdict(int)
    overdue: dict[str, int] = defaultdict(int)
    for row in range(len(inv)):
        if (not counted.invoices.counts[row] or inv.balance[row] <= 0
                or inv.status[row] in ("void", "draft")):
            continue
        cur = inv.currency[row]
        if not cur:
            continue
        result.open_invoices += 1
        owed[cur] += inv.balance[row]
        due = inv.due_date[row]
        if due is not None and due < as_of:
            result.overdue_invoices += 1
            overdue[cur] += inv.balance[row]
    _add(result.open_balance, owed)
    _add(result.overdue_balance, overdue)
    pay = snapshot.payments
    received: dict[str, int] = defaultdict(int)
    for row in range(len(pay)):
        if counted.payments.counts[row] and pay.currency[row]:
            result.payments += 1
            received[pay.currency[row]] += pay.amount[row]
    _add(result.payments_total, received)
    _, result.bank_in = _money(totals.bank_in(conn))
    _, result.bank_out = _money(totals.bank_out(conn))
    return result


def money_text(totals: CurrencyTotals) -> str:
    """``EUR 1,250.00 + USD 80.00``, or ``nothing``."""
    if not totals:
        return "nothing"
    return " + ".join(f"{cur} {amount:,}" for cur, amount in sorted(totals.items()))


@dataclass(frozen=True, slots=True)
class Distinct:
    """How many records of an entity the store holds, and how many real things they are."""

    entity: str
    records: int
    distinct: int
    system_of_record: str | None
    configured: bool
    """Whether the system of record is set in ``[reconcile.system_of_record]``."""

    def text(self) -> str:
        """``36 invoice record(s), 35 distinct (system of record: books, the ledger)``."""
        why = "configured" if self.configured else "the ledger"
        sor = f" (system of record: {self.system_of_record}, {why})" \
            if self.system_of_record else ""
        return (f"{self.records} {self.entity} record(s), {self.distinct} distinct: "
                f"{self.records - self.distinct} set aside as copies{sor}")


def distinct(conn: Connection, settings: ReconcileSettings) -> list[Distinct]:
    """For invoices and payments: records, real things, and whose copy counts."""
    _, counted = copies.load(conn, settings)
    return [Distinct(entity, len(side.counts), side.distinct, side.system_of_record,
                     side.configured)
            for entity, side in (("invoice", counted.invoices), ("payment", counted.payments))]
