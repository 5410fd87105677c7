"""``billing-hub cash``: every receipt and what the matcher decided it is."""

from __future__ import annotations

import io
import json
from typing import Literal

import typer
from rich.table import Table

from hub.cli.console import out
from hub.cli.session import CliState, open_hub
from hub.reconcile.cash.run import KINDS, Decision
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.runner import cash_decisions
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.text import money
from hub.reports.export import write_csv

_COLUMNS = ("record", "date", "amount", "payer", "kind", "invoices", "confidence", "reason")


def _row(d: Decision) -> dict[str, str]:
    p = d.receipt
    return {"record": d.label, "date": p.received.isoformat() if p.received else "",
            "amount": money(p.amount, p.currency), "payer": p.payer or "",
            "kind": d.kind + (f" ({d.category})" if d.category else ""),
            "invoices": " ".join(str(i.number) for i in d.invoices),
            "confidence": f"{d.confidence:.0%}" if d.confidence else "", "reason": d.reason}


def cash(
    ctx: typer.Context,
    kind: list[str] = typer.Option([], "--kind", help=f"Only these kinds: {', '.join(KINDS)}."),
    fmt: Literal["table", "json", "csv"] = typer.Option("table", "--format", "-f"),
    why: bool = typer.Option(False, "--why", help="Add each decision's reason to the table."),
) -> None:
    """Show how each receipt is applied: matched, held, duplicate, not a customer's, unknown."""
    state: CliState = ctx.obj
    unknown = [k for k in kind if k not in KINDS]
    if unknown:
        raise typer.BadParameter(f"unknown kind {unknown[0]!r}; one of {', '.join(KINDS)}",
                                 param_hint="--kind")
    with open_hub(state) as hub:
        decisions = cash_decisions(hub.engine, hub.settings(ReconcileSettings),
                                   RuleSet.of(hub.registry))
    shown = [d for d in decisions if not kind or d.kind in kind]
    if fmt == "json":
        typer.echo(json.dumps({"receipts": [d.as_dict() for d in shown]}, indent=1))
        return
    if fmt == "csv":
        buffer = io.StringIO()  # formula-safe, as every CSV the hub writes
        write_csv(buffer, _COLUMNS, ([_row(d).get(c) for c in _COLUMNS] for d in shown))
        typer.echo(buffer.getvalue(), nl=False)
        return
    if not shown:
        out.print("No receipts to show." if decisions else
                  "No receipts to show: sync a bank statement (entity = \"bank_transaction\") "
                  "or a payment export first.")
        return
    table = Table(title="receipts and what they pay", title_justify="left")
    columns = [c for c in _COLUMNS if c != "payer" and (why or c != "reason")]
    for col in columns:
        table.add_column(col, no_wrap=col in ("date", "amount", "confidence"),
                         overflow="fold", min_width=30 if col == "reason" else None,
                         justify="right" if col in ("amount", "confidence") else "left")
    for d in shown:
        row = _row(d)
        table.add_row(*(row[c] for c in columns))
    out.print(table)
    invoices = {i.id for d in decisions for i in d.invoices}
    if not invoices and not any(d.suggestions for d in decisions):
        out.print("[yellow]No receipt names or fits any invoice: is the invoice list synced?[/]")
    if not why:
        out.print("`--why` adds each decision's reason; `-f json` or `-f csv` give everything.")
