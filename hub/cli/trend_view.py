"""``billing-hub metrics --trend``: the reconcile runs' rates over time, as tables, JSON or
CSV (the figures come from :mod:`hub.reports.trend`)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import orjson
from rich import box
from rich.table import Table
from rich.text import Text

from hub.cli.console import out
from hub.reports.trend import Per, TrendRow, as_csv, as_json, build
from hub.runtime import Hub

TREND_HELP = (
    "Show how the rates moved, a row per reconcile run (or per day with --per day): the "
    "match rate (per currency, the share of cash received that is applied: by its own "
    "system, by the matcher's decision at or above `confident`, or by a coordinator with "
    "apply-payment), the discrepancy rate (open and acknowledged findings per 100 invoices "
    "and payments) and the open findings per kind with their money at stake. "
    "--since/--until select the runs by the day they ran; -f json|csv writes them as data.")


def show_trend(hub: Hub, *, since: datetime | None, until: datetime | None, per: Per,
               fmt: str) -> None:
    """Print the trend of the reconcile runs from ``since`` to ``until`` (both days whole)."""
    end = until + timedelta(days=1) if until is not None else None
    with hub.engine.connect() as conn:
        rows = build(conn, since=since, until=end, per=per)
    if fmt == "json":
        sys.stdout.write(orjson.dumps(as_json(rows), option=orjson.OPT_INDENT_2).decode()
                         + "\n")
        return
    if fmt == "csv":
        sys.stdout.write(as_csv(rows))
        return
    if not rows:
        out.print("No reconcile run has been measured yet: run `billing-hub reconcile`.")
        return
    _print(rows, per)


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def _print(rows: list[TrendRow], per: Per) -> None:
    label = "day" if per == "day" else "run"
    rates = Table(title=f"rates per {label} (match % of cash applied; discrepancies: open "
                        "findings per 100 invoices and payments)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("run", "when", "cur", "received", "applied", "match %", "open", "per 100"):
        rates.add_column(col, justify="left" if col in ("when", "cur") else "right",
                         no_wrap=col not in ("when", "per 100"), overflow="fold")
    for r in rows:
        shown = r.measured_at.strftime("%Y-%m-%d %H:%M") if per == "run" else str(r.day)
        rates.add_row(str(r.run_id), shown, "all", "", "", "", f"{r.open_findings:,}",
                      _dash(r.discrepancy_rate))
        for c in r.currencies:
            rates.add_row("", "", c.currency, f"{c.cash_received:,}", f"{c.cash_applied:,}",
                          _dash(c.match_rate), f"{c.open_findings:,}",
                          _dash(c.discrepancy_rate))
    out.print(rates)
    kinds = Table(title="open findings per kind", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("run", "kind", "cur", "open", "at stake"):
        kinds.add_column(col, justify="right" if col in ("run", "open", "at stake")
                         else "left", overflow="fold")
    for r in rows:
        for i, k in enumerate(r.open_kinds):
            kinds.add_row(str(r.run_id) if i == 0 else "", k.kind, k.currency or "-",
                          f"{k.count:,}", "" if k.money is None else f"{k.money:,}")
    if kinds.row_count:
        out.print(kinds)
    else:
        out.print(Text("No open findings after any of these runs."))
