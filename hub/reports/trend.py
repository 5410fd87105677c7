"""The trend of what reconcile runs measured: match rate, discrepancy rate, open findings.

Every reconcile run keeps its measures (:mod:`hub.store.trend`); this module
turns them into rates, a row per run or per day (the day's last run), and
writes them as JSON or CSV. The definitions, as ``billing-hub metrics --help``
and the README give them:

- **match rate** (per currency): the share of cash received that is applied,
  automatically or by a coordinator's confirmed suggestion, in percent to one
  decimal (:mod:`hub.reconcile.measures` says what counts as each);
- **discrepancy rate**: open (and acknowledged) findings per 100 invoices and
  payments the run read, to two decimals, as ``billing-hub metrics`` computes
  it; per currency, the findings in that currency per 100 of its invoices and
  payments;
- **open findings per kind**: how many, and their money at stake per currency.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from hub.money import from_minor_units
from hub.store import Connection
from hub.store.trend import Measure, RunMeasures, history

Per = Literal["run", "day"]
_TENTH = Decimal("0.1")
_HUNDREDTH = Decimal("0.01")


def _rate(part: int, whole: int, places: Decimal = _TENTH) -> Decimal | None:
    """``part`` per 100 of ``whole``, rounded half up to ``places``; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(places, ROUND_HALF_UP)


def _money(minor: int, currency: str) -> Decimal | None:
    return from_minor_units(minor, currency) if currency else None


@dataclass(slots=True)
class CurrencyRates:
    """One currency of one trend row."""

    currency: str
    cash_received: Decimal
    cash_applied: Decimal
    match_rate: Decimal | None
    """Percent of the cash received that is applied (None: no cash received)."""
    records: int
    open_findings: int
    discrepancy_rate: Decimal | None
    """Open findings in this currency per 100 of its invoices and payments."""


@dataclass(slots=True)
class KindOpen:
    """The open findings of one kind and currency ('' when they name none)."""

    kind: str
    currency: str
    count: int
    money: Decimal | None


@dataclass(slots=True)
class TrendRow:
    """What one reconcile run (or the last run of a day) measured."""

    run_id: int
    measured_at: datetime
    day: date
    records: int
    open_findings: int
    discrepancy_rate: Decimal | None
    """Open findings per 100 invoices and payments, every currency together."""
    currencies: list[CurrencyRates] = field(default_factory=list)
    open_kinds: list[KindOpen] = field(default_factory=list)


def _row(run: RunMeasures) -> TrendRow:
    total = Measure()
    rates: list[CurrencyRates] = []
    for cur, m in sorted(run.by_currency.items()):
        total.records += m.records
        total.open_findings += m.open_findings
        if not cur:
            continue
        rates.append(CurrencyRates(
            cur, from_minor_units(m.cash_minor, cur), from_minor_units(m.applied_minor, cur),
            _rate(m.applied_minor, m.cash_minor), m.records, m.open_findings,
            _rate(m.open_findings, m.records, _HUNDREDTH)))
    kinds = [KindOpen(o.kind, o.currency, o.count, _money(o.money_minor, o.currency))
             for o in run.open_kinds]
    overall = _rate(total.open_findings, total.records, _HUNDREDTH)
    return TrendRow(run.run_id, run.measured_at, run.measured_at.date(), total.records,
                    total.open_findings, overall, rates, kinds)


def build(conn: Connection, *, since: datetime | None = None, until: datetime | None = None,
          per: Per = "run") -> list[TrendRow]:
    """The trend rows of the reconcile runs in ``[since, until)``, oldest first; with
    ``per="day"`` only the last run of each day (UTC)."""
    rows = [_row(r) for r in history(conn, since=since, until=until)]
    if per == "day":
        last: dict[date, TrendRow] = {}
        for row in rows:
            last[row.day] = row
        rows = list(last.values())
    return rows


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def as_json(rows: Sequence[TrendRow]) -> list[dict[str, Any]]:
    """The rows as plain JSON (amounts and rates as strings, exact)."""
    return [{
        "run_id": r.run_id, "measured_at": r.measured_at.isoformat(), "day": r.day.isoformat(),
        "records": r.records, "open_findings": r.open_findings,
        "discrepancy_rate_per_100": _s(r.discrepancy_rate),
        "currencies": [{
            "currency": c.currency, "cash_received": str(c.cash_received),
            "cash_applied": str(c.cash_applied), "match_rate_percent": _s(c.match_rate),
            "records": c.records, "open_findings": c.open_findings,
            "discrepancy_rate_per_100": _s(c.discrepancy_rate)} for c in r.currencies],
        "open_findings_by_kind": [{
            "kind": k.kind, "currency": k.currency or None, "count": k.count,
            "money_at_stake": _s(k.money)} for k in r.open_kinds],
    } for r in rows]


CSV_COLUMNS = ("run_id", "day", "measured_at", "kind", "currency", "cash_received",
               "cash_applied", "match_rate_percent", "records", "open_findings",
               "discrepancy_rate_per_100", "money_at_stake")
"""One row per run and currency (``kind`` empty; ``currency`` empty for every currency
together), then one per run, kind and currency of the open findings."""


def as_csv(rows: Sequence[TrendRow]) -> str:
    """The rows as CSV in :data:`CSV_COLUMNS`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        head = (r.run_id, r.day.isoformat(), r.measured_at.isoformat())
        writer.writerow((*head, "", "", "", "", "", r.records, r.open_findings,
                         _s(r.discrepancy_rate) or "", ""))
        for c in r.currencies:
            writer.writerow((*head, "", c.currency, c.cash_received, c.cash_applied,
                             _s(c.match_rate) or "", c.records, c.open_findings,
                             _s(c.discrepancy_rate) or "", ""))
        for k in r.open_kinds:
            writer.writerow((*head, k.kind, k.currency, "", "", "", "", k.count, "",
                             "" if k.money is None else k.money))
    return buffer.getvalue()
