"""``billing-hub report``, ``metrics`` and ``apply-payment``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.table import Table
from rich.text import Text

from hub.cli.as_of import AS_OF, knowledge
from hub.cli.console import err, out
from hub.cli.fit import print_fitted, table_width
from hub.cli.session import CliState, open_hub
from hub.cli.trend_view import TREND_HELP, show_trend
from hub.errors import HubError
from hub.reconcile.applying import apply_payment as queue_application
from hub.reconcile.naming import NAME_HELP, resolve
from hub.reconcile.settings import ReconcileSettings
from hub.reports import report as rpt
from hub.reports.ages import age
from hub.reports.metrics import BUCKETS, Metrics
from hub.reports.report_html import render
from hub.runtime import Hub
from hub.store import aliases as store_aliases
from hub.store import audit
from hub.store.clock import utcnow


class Format(StrEnum):
    table = "table"
    html = "html"
    csv = "csv"
    json = "json"


def _period(since: datetime | None, until: datetime | None,
            as_of: datetime | None = None) -> tuple[date, date]:
    today = as_of.date() if as_of else datetime.now().astimezone().date()
    end = until.date() if until else today
    start = since.date() if since else end - timedelta(days=89)
    if start > end:
        raise HubError(f"the period starts ({start}) after it ends ({end})")
    return start, end


class TrendPer(StrEnum):
    run = "run"
    day = "day"


class TrendFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


SINCE = typer.Option(None, "--since", formats=["%Y-%m-%d"],
                     help="Start of the period (default: 90 days before --until).")
UNTIL = typer.Option(None, "--until", formats=["%Y-%m-%d"],
                     help="End of the period (default: today, or the --as-of day).")


def report(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.table, "--format", "-f"),
    output: Path | None = typer.Option(None, "--out", "-o", help="File to write."),
    since: datetime | None = SINCE,
    until: datetime | None = UNTIL,
    as_of: datetime | None = AS_OF,
) -> None:
    """The mismatch report with the AR metrics, as a table, HTML, CSV or JSON.

    --since/--until select the period; --as-of the knowledge date (the records and
    findings as the hub knew them at the end of that day).
    """
    state: CliState = ctx.obj
    start, end = _period(since, until, as_of)
    with open_hub(state) as hub, hub.engine.connect() as conn:
        data = rpt.build(conn, start=start, end=end, settings=hub.settings(ReconcileSettings),
                         as_of=knowledge(hub, as_of))
    if fmt is Format.table:
        _print_table(data)
        return
    if fmt is Format.csv:
        if output is None:
            rpt.write_report_csv(data, sys.stdout)
        else:
            with output.open("w", encoding="utf-8-sig", newline="") as fh:
                rpt.write_report_csv(data, fh)
    else:
        text = render(data) if fmt is Format.html else rpt.as_json(data).decode()
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            output.write_text(text, encoding="utf-8")
    if output is not None:
        err.print(f"{data.count} finding(s) written to {output}")


def _print_table(data: rpt.Report) -> None:
    if not data.groups:
        out.print("No open findings: the systems agree.")
    for group in data.groups:
        stakes = " + ".join(f"{v:,} {c}" for c, v in group.at_stake.items()) or "-"
        table = Table(title=f"{group.kind} ({len(group.findings)}), at stake {stakes}",
                      title_justify="left")
        for col in ("id", "severity", "customer", "at stake", "age"):
            table.add_column(col, no_wrap=True)
        table.add_column("what", overflow="fold", ratio=1)
        for f in group.findings:
            amount = rpt.stake(f)
            table.add_row(str(f.id), f.severity, f.customer or "",
                          f"{amount:,} {f.currency}" if amount is not None else "-",
                          age(f, data.metrics.end).text, Text(f.explanation))
        out.print(table)
    for p in data.plans:
        out.print(Text(f"payment plan {p.id} ({p.plan.customer_ref or '-'}, "
                       f"{', '.join(p.plan.invoice_numbers)}): {p.text()}"))
    _print_metrics(data.metrics)


def _metrics_table(m: Metrics, title: str, ratios: bool, aging: bool) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("currency", *(("DSO", "CEI %", "overdue %", "days to pay") if ratios else ()),
                *(BUCKETS if aging else ())):
        table.add_column(col, justify="right", no_wrap=True)
    for cur, c in m.by_currency.items():
        cells = [c.dso, c.cei, c.overdue_share, c.average_days_to_pay] if ratios else []
        table.add_row(cur, *("-" if v is None else str(v) for v in cells),
                      *(f"{c.aging[b]:,}" for b in BUCKETS if aging))
    return table


def _print_metrics(m: Metrics) -> None:
    title = f"receivables {m.start} to {m.end}"
    whole = _metrics_table(m, title, ratios=True, aging=True)
    if table_width(out, whole) <= out.width:
        out.print(whole)
    else:  # narrow or piped: the ratios, then the aging, each whole
        print_fitted(out, _metrics_table(m, title, ratios=True, aging=False))
        print_fitted(out, _metrics_table(m, "aging (open balance by days overdue)",
                                         ratios=False, aging=True))
    rate = m.discrepancy_rate
    out.print(f"discrepancy rate: {rate if rate is not None else '-'} open findings per 100 "
              f"invoices and payments ({m.open_findings} of {m.records})")
    out.print(Text("aging, overdue share and CEI count invoices under a payment plan by "
                   + ("the plan's instalment dates ([reconcile] aging_by = \"plan\")"
                      if m.aging_by == "plan" else
                      "their own due date ([reconcile] aging_by = \"due_date\")")
                   + "; DSO uses no due date"))


def metrics(
    ctx: typer.Context,
    since: datetime | None = SINCE,
    until: datetime | None = UNTIL,
    fmt: TrendFormat = typer.Option(TrendFormat.table, "--format", "-f",
                                    help="table or json; csv with --trend."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (as -f json)."),
    explain: bool = typer.Option(False, "--explain",
                                 help="Each figure with the records behind it: the copy "
                                      "counted and the copies set aside."),
    as_of: datetime | None = AS_OF,
    trend: bool = typer.Option(False, "--trend", help=TREND_HELP),
    per: TrendPer = typer.Option(TrendPer.run, "--per", help="With --trend: a row per run, "
                                 "or per day (the day's last run)."),
) -> None:
    """DSO, aging, overdue share, days to pay, discrepancy rate and CEI, per currency.

    An invoice or payment held in several systems counts once: the copy of
    \\[reconcile.system_of_record] (default: the ledger, the system holding the
    most invoices); --explain shows which. --since/--until select the period;
    --as-of the knowledge date (the records and findings as the hub knew them at
    the end of that day). With --trend: the match rate, discrepancy rate and open
    findings per kind of every reconcile run, over time (see --trend).
    """
    state: CliState = ctx.obj
    if trend:
        with open_hub(state) as hub:
            show_trend(hub, since=since, until=until, per=per.value, fmt=fmt.value)
        return
    if fmt is TrendFormat.csv:
        raise typer.BadParameter("csv is for --trend; use -f json or the report's -f csv",
                                 param_hint="--format")
    start, end = _period(since, until, as_of)
    with open_hub(state) as hub, hub.engine.connect() as conn:
        data = rpt.build(conn, start=start, end=end, settings=hub.settings(ReconcileSettings),
                         explain=explain, as_of=knowledge(hub, as_of))
    if as_json or fmt is TrendFormat.json:
        doc = rpt.explain_json(data.metrics) if explain else rpt.metrics_json(data.metrics)
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    _print_metrics(data.metrics)
    if explain:
        _print_explained(rpt.explain_json(data.metrics))


def _print_explained(doc: dict[str, Any]) -> None:
    def records(items: list[dict[str, Any]]) -> None:
        for i in items:
            amount = f"{Decimal(i['amount']):,}" if i["amount"] is not None else ""
            aside = f"  (set aside: {', '.join(i['set_aside'])})" if i["set_aside"] else ""
            note = f"  {i['note']}" if i["note"] else ""
            out.print(Text(f"    {i['record']}  {amount}{note}{aside}"))

    for cur, figures in doc["by_currency"].items():
        for name, f in figures.items():
            value = f["value"] if f["value"] is not None else "-"
            if "records" in f:
                out.print(Text(f"{cur} {name} = {value}: {f['what']} "
                               f"({len(f['records'])} record(s))"))
                records(f["records"])
            else:
                out.print(Text(f"{cur} {name} = {value}: {f['how']}"))
    rate = doc["discrepancy_rate_per_100"]
    out.print(Text(f"discrepancy rate = {rate['value'] or '-'}: {rate['how']}, "
                   f"{rate['open_findings']} open finding(s) over {len(rate['records'])} "
                   "invoice(s) and payment(s), each counted once"))
    records(rate["records"])


def _cannot_apply(hub: Hub) -> Callable[[str], str | None]:
    """Why connector NAME cannot take a payment application, from its capabilities."""

    def why(name: str) -> str | None:
        found = hub.config.connectors.get(name)
        if found is None:
            return (f"its system, {name!r}, is not a connector in the config, so nothing can "
                    "send the application there")
        spec = hub.registry.connector_spec(found.type)
        support = spec.supports("invoice")
        if support is not None and support.apply_payments:
            return None
        can = ", ".join(e.describe() for e in spec.entities) or "nothing"
        return (f"connector {name!r} (type {found.type}) cannot apply payments to its "
                f"invoices: its capabilities are {can}")

    return why


def apply_payment(
    ctx: typer.Context,
    payment: str = typer.Argument(..., help=f"The payment or bank credit: {NAME_HELP}"),
    invoice: str = typer.Argument(..., help=f"The invoice: {NAME_HELP}"),
    amount: Decimal | None = typer.Option(None, "--amount",
                                          help="Default: as much as both allow."),
    learn: bool = typer.Option(True, "--learn/--no-learn",
                               help="Learn the payer's name as an alias of the invoice's "
                                    "customer when it is not known by it yet."),
) -> None:
    """Apply a payment or bank credit to an invoice and queue it for the invoice's system.

    `billing-hub push send` sends it; the unapplied-payment finding stays open,
    marked "applied, awaiting confirmation", until a later sync of that system
    reads it back. A system that cannot apply payments (a CSV export) is
    refused, with the reason. The payer's name becomes an alias of the
    invoice's customer (its record in the invoice's source), unless the
    customer is already known by it or --no-learn is given; `billing-hub
    aliases remove` undoes it.
    """
    state: CliState = ctx.obj
    actor, now = audit.default_actor(), utcnow()
    learned: store_aliases.Learning | None = None
    with open_hub(state) as hub, hub.engine.begin() as conn:
        done = queue_application(conn, payment, invoice, amount, actor=actor, now=now,
                                 cannot_apply=_cannot_apply(hub))
        if done.queued and learn:  # in the application's transaction: both or neither
            learned = store_aliases.learn_payer(
                conn, resolve(conn, payment).id, resolve(conn, invoice).id,
                reason=f"confirmed payment {done.payment} -> {done.invoice}", actor=actor,
                now=now)
    if not done.queued:
        out.print(f"Already applied and queued ({done.idempotency_key}); nothing done twice.")
        return
    out.print(f"Applied {done.amount:,} {done.currency} of {done.payment} to "
              f"{done.invoice}; queued for {done.target} (idempotency key "
              f"{done.idempotency_key}). Send it with `billing-hub push send {done.target}`; "
              f"it counts as applied once a sync of {done.target} confirms it.")
    if learned is not None and learned.alias is not None:
        alias = learned.alias
        out.print(Text(f"Learned {alias.name!r} as an alias of {alias.customer} "
                       f"({alias.customer_name}), alias {alias.id}; undo: billing-hub aliases "
                       f"remove {alias.id}"))
    elif learned is not None:
        out.print(Text(f"No alias learned: {learned.note}."))
