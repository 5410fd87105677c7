"""The mismatch report: findings grouped by kind, money at stake, oldest first,
with the AR metrics; written as JSON and CSV here, as HTML in :mod:`report_html`."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import orjson

from hub.money import from_minor_units
from hub.reconcile import copies, lifecycle
from hub.reconcile.plans import Standing, standings
from hub.reconcile.settings import ReconcileSettings
from hub.reports import plan_aging
from hub.reports.ages import age, since
from hub.reports.export import write_csv
from hub.reports.metrics import BUCKETS, FIGURES, CurrencyMetrics, Item, Metrics, compute
from hub.store import Connection
from hub.store import plans as store_plans
from hub.store.clock import utcnow


@dataclass(slots=True)
class Group:
    kind: str
    findings: list[lifecycle.StoredFinding]
    at_stake: dict[str, Decimal]


@dataclass(slots=True)
class Report:
    generated_at: datetime
    """When it was made; for a report ``as_of`` a moment, that moment."""
    groups: list[Group]
    metrics: Metrics
    as_of: datetime | None = None
    """The knowledge moment: the store as it stood then (None: as it stands now)."""
    plans: list[Standing] = field(default_factory=list)
    """The active payment plans, judged at the end of the period."""

    @property
    def count(self) -> int:
        return sum(len(g.findings) for g in self.groups)


def stake(f: lifecycle.StoredFinding) -> Decimal | None:
    """The money at stake in the finding's currency, if it has any."""
    if f.money_at_stake_minor is None or not f.currency:
        return None
    return from_minor_units(f.money_at_stake_minor, f.currency)


def most_at_stake_first(found: list[lifecycle.StoredFinding]) -> None:
    """Sort ``found`` for review (in place): the most money at stake first.

    Amounts in different currencies are not comparable without rates: the
    currency with the most findings comes first, and within each currency the
    most money first, then the oldest.
    """
    per_currency = Counter(f.currency for f in found)
    found.sort(key=lambda f: (-per_currency[f.currency], f.currency or "",
                              -(stake(f) or Decimal(0)), since(f), f.id))


def by_kind(found: list[lifecycle.StoredFinding]) -> list[Group]:
    """Findings grouped by kind, oldest first in each (by the money's date, see
    :mod:`hub.reports.ages`), with the money at stake per currency.

    The kinds with the most money at stake come first (summed per currency,
    compared by the largest sum).
    """
    grouped: dict[str, list[lifecycle.StoredFinding]] = defaultdict(list)
    for f in found:
        grouped[f.kind].append(f)
    groups = []
    for kind, items in grouped.items():
        items.sort(key=lambda f: (since(f), f.id))
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for f in items:
            amount = stake(f)
            if amount is not None and f.currency:
                totals[f.currency] += amount
        groups.append(Group(kind, items, dict(sorted(totals.items()))))
    groups.sort(key=lambda g: (-max(g.at_stake.values(), default=Decimal(0)), g.kind))
    return groups


def build(conn: Connection, *, start: date, end: date, settings: ReconcileSettings,
          statuses: tuple[str, ...] = (lifecycle.OPEN, lifecycle.ACKNOWLEDGED),
          explain: bool = False, as_of: datetime | None = None) -> Report:
    """Read the findings and compute the metrics for ``[start, end]``, each real invoice
    and payment counted once (:mod:`hub.reconcile.copies`); with ``explain``, each
    figure keeps the records behind it; ``as_of``: from the records and findings as
    they stood at that moment (their history)."""
    found = (lifecycle.select(conn, statuses=statuses) if as_of is None
             else lifecycle.select_as_of(conn, as_of, statuses=statuses))
    snapshot, counted = copies.load(conn, settings, as_of=as_of)
    planned = (plan_aging.planned_pieces(conn, end, as_of=as_of, snapshot=snapshot)
               if settings.aging_by == "plan" else None)
    metrics = compute(snapshot, start, end, len(found), settings.number_prefixes, counted,
                      explain=explain, planned=planned)
    plans = standings(conn, store_plans.listed(conn, active_only=True), end)
    return Report(as_of or utcnow(), by_kind(found), metrics, as_of, plans)


CSV_COLUMNS = ("id", "kind", "severity", "status", "customer", "currency", "money_at_stake",
               "first_seen", "last_seen", "money_date", "age_days", "age", "explanation",
               "record_ids", "note")


def write_report_csv(report: Report, out: IO[str]) -> int:
    """One row per finding; amounts stay numbers, text cells are formula-safe. The age is
    counted from the money's date to the end of the report's period."""
    end = report.metrics.end
    rows = ([f.id, f.kind, f.severity, f.status, f.customer, f.currency, stake(f),
             f.first_seen_at.date(), f.last_seen_at.date(), since(f), a.days, a.text,
             f.explanation, " ".join(str(i) for i in f.record_ids), f.note]
            for g in report.groups for f in g.findings for a in (age(f, end),))
    return write_csv(out, CSV_COLUMNS, rows)


def finding_json(f: lifecycle.StoredFinding, today: date) -> dict[str, Any]:
    """One finding as the JSON of ``report -f json``, ``findings list --json`` and
    ``findings show --json`` (its age counted to ``today``)."""
    a = age(f, today)
    return {"id": f.id, "key": f.key, "kind": f.kind, "severity": f.severity,
            "status": f.status, "customer": f.customer, "currency": f.currency,
            "money_at_stake": str(stake(f)) if stake(f) is not None else None,
            "explanation": f.explanation, "record_ids": f.record_ids,
            "first_seen_at": f.first_seen_at.isoformat(),
            "money_date": since(f).isoformat(), "age_days": a.days, "age": a.text,
            "details": f.details, "note": f.note}


def as_json(report: Report) -> bytes:
    m = report.metrics
    data: dict[str, Any] = {
        "generated_at": report.generated_at.isoformat(),
        **({"as_of": report.as_of.isoformat()} if report.as_of is not None else {}),
        "period": {"start": m.start.isoformat(), "end": m.end.isoformat()},
        "findings": [finding_json(f, m.end) for g in report.groups for f in g.findings],
        "at_stake_by_kind": {g.kind: {c: str(v) for c, v in g.at_stake.items()}
                             for g in report.groups},
        "metrics": metrics_json(m),
        "payment_plans": [
            {"id": p.id, "customer": p.plan.customer_ref, "invoices": p.plan.invoice_refs,
             "currency": p.plan.currency, "total": str(p.plan.opening_balance),
             "paid": str(p.paid), "state": p.state.value, "standing": p.text()}
            for p in report.plans],
    }
    return orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def metrics_json(m: Metrics) -> dict[str, Any]:
    return {
        "discrepancy_rate_per_100": _s(m.discrepancy_rate),
        "aging_by": m.aging_by,
        "records": m.records,
        "open_findings": m.open_findings,
        "by_currency": {
            cur: {"dso_days": _s(c.dso), "cei_percent": _s(c.cei),
                  "overdue_share_percent": _s(c.overdue_share),
                  "average_days_to_pay": _s(c.average_days_to_pay),
                  "invoiced": str(c.invoiced), "receivables": str(c.receivables_end),
                  "aging": {b: str(c.aging[b]) for b in BUCKETS},
                  "aging_by_customer": {who: {b: str(v[b]) for b in BUCKETS}
                                        for who, v in sorted(c.aging_by_customer.items())}}
            for cur, c in m.by_currency.items()},
    }


def figure_value(c: CurrencyMetrics, figure: str) -> Decimal | int | None:
    """The value of one of :data:`~hub.reports.metrics.FIGURES` of a currency."""
    if figure.startswith("aging."):
        return c.aging[figure.removeprefix("aging.")]
    if figure == "overdue_invoices":
        return c.overdue_invoices
    values: dict[str, Decimal | None] = {
        "invoiced": c.invoiced, "receivables": c.receivables_end,
        "receivables_start": c.receivables_start, "days_to_pay": c.average_days_to_pay}
    return values[figure]


DERIVED = {
    "dso_days": ("receivables / invoiced * days in the period", ("receivables", "invoiced")),
    "cei_percent": ("(receivables_start + invoiced - receivables) / (receivables_start + "
                    "invoiced - aging.current) * 100",
                    ("receivables_start", "invoiced", "receivables", "aging.current")),
    "overdue_share_percent": ("overdue_invoices / the invoices of receivables * 100",
                              ("overdue_invoices", "receivables")),
    "average_days_to_pay": ("the mean of days_to_pay", ("days_to_pay",)),
}
"""The figures worked out from others: how, and from which."""


def _item(i: Item) -> dict[str, Any]:
    return {"record": i.record, "amount": _s(i.amount), "note": i.note,
            "set_aside": i.set_aside}


def explain_json(m: Metrics) -> dict[str, Any]:
    """Every figure of ``m`` (computed with ``explain``) with the records behind it: the
    copy that counted, its amount, and the copies set aside."""
    by_currency: dict[str, Any] = {}
    for cur, c in m.by_currency.items():
        behind = c.behind or {}
        figures: dict[str, Any] = {
            name: {"value": _s(v) if isinstance(v, Decimal) else v, "what": what,
                   "records": [_item(i) for i in behind.get(name, [])]}
            for name, what in FIGURES.items()
            for v in (figure_value(c, name),)}
        for name, (how, parts) in DERIVED.items():
            value = {"dso_days": c.dso, "cei_percent": c.cei,
                     "overdue_share_percent": c.overdue_share,
                     "average_days_to_pay": c.average_days_to_pay}[name]
            figures[name] = {"value": _s(value), "how": how, "from": list(parts)}
        by_currency[cur] = figures
    return {
        "period": {"start": m.start.isoformat(), "end": m.end.isoformat()},
        "discrepancy_rate_per_100": {
            "value": _s(m.discrepancy_rate), "open_findings": m.open_findings,
            "how": "open findings * 100 / records",
            "records": [_item(i) for i in m.counted or []]},
        "by_currency": by_currency,
    }
