"""``billing-hub status``: the store, what it holds and the latest runs."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import typer
from rich import box
from rich.table import Table
from rich.text import Text

from hub.cli.console import duration, out, when
from hub.cli.fit import print_fitted
from hub.cli.session import CliState, open_hub
from hub.contract.outcomes import RunSummary
from hub.reconcile.settings import ReconcileSettings
from hub.reports.overview import distinct
from hub.reports.sync_totals import LastSyncTotals, last_sync_totals
from hub.secrets import redact
from hub.store import current_revision, head_revision, shown_url
from hub.store.quarantine import count_open
from hub.store.runs import recent
from hub.store.stored import count_by_entity

STATUS_STYLE = {"succeeded": "green", "failed": "red", "interrupted": "yellow",
                "running": "cyan"}


def status(
    ctx: typer.Context,
    runs: int = typer.Option(10, "--runs", "-n", min=0, help="How many recent runs to show."),
    connector: str | None = typer.Option(None, "--connector", help="Only this connector's runs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: the store, records, "
                                 "last sync totals and recent runs."),
) -> None:
    """Show the store, its records, open quarantine and recent runs."""
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        url = shown_url(hub.config.store_url())
        revision = current_revision(hub.engine)
        with hub.engine.connect() as conn:
            held = count_by_entity(conn)
            waiting = count_open(conn)
            latest = recent(conn, runs, connector)
            once = distinct(conn, hub.settings(ReconcileSettings)) if held else []
            totals = last_sync_totals(conn, connector)
    if as_json:
        doc = {
            "store": url, "schema": revision, "schema_current": revision == head_revision(),
            "records": [{"source": key[0], "entity": key[1], "records": held.get(key, 0),
                         "quarantined": waiting.get(key, 0)}
                        for key in sorted(set(held) | set(waiting))],
            "counted_once": [{"entity": d.entity, "records": d.records, "distinct": d.distinct,
                              "system_of_record": d.system_of_record} for d in once],
            "last_sync_totals": [
                {"connector": line.connector, "run": line.run_id, "entity": line.entity,
                 "currency": line.currency or None, "read": line.tally.read_count,
                 "stored": line.tally.stored_count,
                 "quarantined": line.tally.quarantined_count,
                 "skipped": line.tally.skipped_count,
                 "stored_sum": None if line.stored_sum is None else str(line.stored_sum)}
                for line in totals.lines],
            "control_checks": totals.checks(),
            "runs": [_run_json(run) for run in latest],
        }
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    note = "" if revision == head_revision() else " (not at the newest migration)"
    out.print(Text.assemble(f"store: {url}  schema {revision}", (note, "red")))

    table = Table(title="records", title_justify="left")
    for col in ("source", "entity", "records", "quarantined"):
        table.add_column(col, justify="right" if col in ("records", "quarantined") else "left")
    for key in sorted(set(held) | set(waiting)):
        q = waiting.get(key, 0)
        table.add_row(key[0], key[1], str(held.get(key, 0)),
                      Text(str(q), style="yellow") if q else "0")
    if held or waiting:
        print_fitted(out, table, key=2)
    else:
        out.print("The store is empty: run `billing-hub sync`.")
    for d in once:
        if d.records:
            out.print(Text(f"counted once: {d.text()}"))

    _print_totals(totals)
    if not latest:
        return
    runs_table = Table(title="recent runs (records: new/updated/unchanged/quarantined)",
                       title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                       show_edge=False, collapse_padding=True)
    for col in ("run", "kind", "connector", "status", "started", "took"):
        runs_table.add_column(col, no_wrap=col != "connector", overflow="fold")
    runs_table.add_column("records", justify="right", no_wrap=True)
    errors = any(run.error for run in latest)
    if errors:
        runs_table.add_column("error", overflow="fold")
    for run in latest:
        style = STATUS_STYLE.get(run.status, "")
        c = run.total
        counts = Text(f"{c.created}/{c.updated}/{c.unchanged}/")
        counts.append(str(c.quarantined), style="yellow" if c.quarantined else "")
        cells: list[str | Text] = [str(run.run_id), run.kind, run.connector,
                                   Text(run.status, style=style), when(run.started_at),
                                   duration(run), counts]
        if errors:
            cells.append(Text(run.error.splitlines()[0]) if run.error else "")
        runs_table.add_row(*cells)
    print_fitted(out, runs_table, key=3)


def _run_json(run: RunSummary) -> dict[str, Any]:
    c = run.total
    return {"run": run.run_id, "kind": run.kind, "connector": run.connector,
            "status": run.status, "started_at": run.started_at.isoformat(),
            "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
            "new": c.created, "updated": c.updated, "unchanged": c.unchanged,
            "quarantined": c.quarantined,
            "error": None if run.error is None else redact(run.error)}


def _print_totals(totals: LastSyncTotals) -> None:
    """The newest sync's control totals of each connector, narrow enough for 80 columns."""
    if not totals.lines and not totals.controls:
        return
    table = Table(title="last sync totals (read = stored + quarantined; skipped: not data)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False, collapse_padding=True)
    table.add_column("connector", overflow="fold")
    table.add_column("entity", no_wrap=True)
    table.add_column("cur", no_wrap=True)
    for col in ("read", "stored", "quar", "skip"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("stored sum", justify="right", no_wrap=True)
    for line in totals.lines:
        t = line.tally
        table.add_row(line.connector, line.entity, line.currency or "-", f"{t.read_count:,}",
                      f"{t.stored_count:,}",
                      Text(f"{t.quarantined_count:,}", style="yellow")
                      if t.quarantined_count else "0",
                      f"{t.skipped_count:,}",
                      "" if line.stored_sum is None else f"{line.stored_sum:,}")
    if totals.lines:
        print_fitted(out, table, key=3)
    for check in totals.checks():
        style = "red" if "DOES NOT AGREE" in check else ""
        out.print(Text(check, style=style))
