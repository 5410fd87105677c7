"""``billing-hub webhooks list|process``: the deliveries taken in, and their syncs."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from hub.cli import exits
from hub.cli.console import counts_table, err, out, when
from hub.cli.session import CliState, open_hub
from hub.contract.webhooks import ChangeHint
from hub.store import deliveries
from hub.sync.webhooks import WebhookProcessor

app = typer.Typer(help="Webhook deliveries received by `billing-hub serve`, and their syncs.",
                  no_args_is_help=True)

STATUS_STYLE = {deliveries.PENDING: "cyan", deliveries.PROCESSED: "green",
                deliveries.FAILED: "red"}


def _changes(hints: tuple[ChangeHint, ...]) -> str:
    if not hints:
        return "nothing the hub pulls"
    parts = [f"{h.entity} {h.external_id or '(all)'}{' deleted' if h.deleted else ''}"
             for h in hints[:3]]
    more = f" +{len(hints) - 3}" if len(hints) > 3 else ""
    return ", ".join(parts) + more


@app.command("list")
def list_(
    ctx: typer.Context,
    connector: str | None = typer.Option(None, "--connector", help="Only this connector."),
    status: str | None = typer.Option(
        None, "--status", help="Only pending, processed or failed deliveries."),
    limit: int = typer.Option(20, "--limit", min=1),
) -> None:
    """The latest deliveries: what each said changed and whether its sync ran."""
    if status is not None and status not in deliveries.STATUSES:
        raise typer.BadParameter(f"one of {', '.join(deliveries.STATUSES)}",
                                 param_hint="--status")
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        rows = deliveries.recent(conn, limit=limit, connector=connector, status=status)
        totals = deliveries.count_by_status(conn)
    if not rows:
        out.print("No webhook deliveries recorded." if status is None and connector is None
                  else "No delivery matches.")
        return
    table = Table(title="webhook deliveries, newest first", title_justify="left")
    for col in ("received", "connector", "delivery", "changed", "status", "tries", "run"):
        table.add_column(col, overflow="fold")
    for d in rows:
        shown = Text(d.status, style=STATUS_STYLE.get(d.status, ""))
        if d.status == deliveries.FAILED:
            shown.append(f" (again {when(d.next_attempt_at)}): {d.last_error or ''}")
        table.add_row(when(d.received_at), d.connector, d.delivery_id, _changes(d.hints), shown,
                      str(d.attempts), str(d.run_id) if d.run_id else "-")
    out.print(table)
    out.print(", ".join(f"{n} {s}" for s, n in totals.items()) + " in all.")


@app.command()
def process(
    ctx: typer.Context,
    connectors: list[str] | None = typer.Argument(
        None, help="Only these connectors' deliveries (default: all)."),
) -> None:
    """Run the incremental syncs that recorded deliveries ask for (for cron)."""
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        outcome = WebhookProcessor(hub).process(
            connectors or None)
    if not outcome.results:
        out.print("No webhook delivery waits for a sync.")
        return
    for result in outcome.results:
        what = ", ".join(result.entities) or "nothing this connector pulls"
        line = f"{result.connector}: {result.deliveries} deliveries -> {what}"
        if result.error is not None:
            err.print(Text.assemble((line + ": failed, tried again later: ", "bold red"),
                                    result.error))
        else:
            out.print(line + (f" (run {result.run.run_id})" if result.run else ""))
    runs = [r.run for r in outcome.results if r.run is not None]
    if runs:
        out.print(counts_table(runs))
    if outcome.failed:
        raise typer.Exit(exits.FAILED)

