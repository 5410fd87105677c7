"""What each reconcile run measured, kept for the trend (``billing-hub metrics --trend``).

Per run and currency: the cash received, the part applied, the invoices and
payments, the open findings; per run, kind and currency: the open findings and
their money at stake. Integer minor units; ``""`` for findings that name no
currency. The rates are computed from these by :mod:`hub.reports.trend`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.clock import as_utc
from hub.store.schema import findings, reconcile_measures, reconcile_open_findings

OPEN_STATUSES = ("open", "acknowledged")


@dataclass(slots=True)
class Measure:
    """One currency of one run."""

    cash_minor: int = 0
    applied_minor: int = 0
    records: int = 0
    open_findings: int = 0


@dataclass(slots=True)
class OpenKind:
    """The open findings of one kind and currency after a run."""

    kind: str
    currency: str
    count: int
    money_minor: int


@dataclass(slots=True)
class RunMeasures:
    """Everything one reconcile run measured."""

    run_id: int
    measured_at: datetime
    by_currency: dict[str, Measure] = field(default_factory=dict)
    open_kinds: list[OpenKind] = field(default_factory=list)


def open_by_kind(conn: Connection) -> list[OpenKind]:
    """The open (and acknowledged) findings now, per kind and currency."""
    c = findings.c
    stmt = (sa.select(c.kind, c.currency, sa.func.count(), sa.func.sum(c.money_at_stake_minor))
            .where(c.status.in_(OPEN_STATUSES))
            .group_by(c.kind, c.currency))
    found: dict[tuple[str, str], OpenKind] = {}
    for kind, cur, n, money in conn.execute(stmt):
        row = found.setdefault((kind, cur or ""), OpenKind(kind, cur or "", 0, 0))
        row.count += int(n)
        row.money_minor += int(money or 0)
    return [found[k] for k in sorted(found)]


def record(conn: Connection, run_id: int, at: datetime, by_currency: Mapping[str, Measure],
           open_kinds: list[OpenKind]) -> None:
    """Keep what run ``run_id`` measured."""
    if by_currency:
        conn.execute(reconcile_measures.insert(), [
            {"run_id": run_id, "measured_at": at, "currency": cur, "cash_minor": m.cash_minor,
             "applied_minor": m.applied_minor, "records": m.records,
             "open_findings": m.open_findings} for cur, m in sorted(by_currency.items())])
    if open_kinds:
        conn.execute(reconcile_open_findings.insert(), [
            {"run_id": run_id, "kind": o.kind, "currency": o.currency, "count": o.count,
             "money_minor": o.money_minor} for o in open_kinds])


def history(conn: Connection, *, since: datetime | None = None,
            until: datetime | None = None) -> list[RunMeasures]:
    """The measures of every reconcile run measured in ``[since, until)``, oldest first."""
    m = reconcile_measures.c
    stmt = sa.select(m.run_id, m.measured_at, m.currency, m.cash_minor, m.applied_minor,
                     m.records, m.open_findings).order_by(m.run_id, m.currency)
    if since is not None:
        stmt = stmt.where(m.measured_at >= since)
    if until is not None:
        stmt = stmt.where(m.measured_at < until)
    runs: dict[int, RunMeasures] = {}
    for run_id, at, cur, cash, applied, recs, opened in conn.execute(stmt):
        run = runs.get(run_id)
        if run is None:
            run = runs[run_id] = RunMeasures(run_id, as_utc(at) or at)
        run.by_currency[cur] = Measure(int(cash), int(applied), int(recs), int(opened))
    if runs:
        o = reconcile_open_findings.c
        kinds = (sa.select(o.run_id, o.kind, o.currency, o.count, o.money_minor)
                 .where(o.run_id.in_(list(runs))).order_by(o.run_id, o.kind, o.currency))
        for run_id, kind, cur, n, money in conn.execute(kinds):
            runs[run_id].open_kinds.append(OpenKind(kind, cur, int(n), int(money)))
    return list(runs.values())
