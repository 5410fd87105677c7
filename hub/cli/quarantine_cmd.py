"""``billing-hub quarantine list|show|retry|dismiss|restore``: records that wait for a person."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import typer
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from hub.cli import exits
from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.errors import HubError
from hub.store import quarantine as q
from hub.store.clock import utcnow
from hub.sync.engine import SyncEngine
from hub.sync.retry import retry_entries

app = typer.Typer(help="Records that could not be imported, with their raw content and reason.",
                  no_args_is_help=True)


def entry_json(e: q.QuarantineEntry) -> dict[str, Any]:
    """One quarantine entry as ``quarantine list --json`` prints it."""
    return {"id": e.id, "source": e.source, "entity": e.entity, "external_id": e.external_id,
            "location": e.location, "reason": e.reason, "problems": e.details,
            "status": e.status, "first_seen_at": e.first_seen_at.isoformat(),
            "last_seen_at": e.last_seen_at.isoformat(), "times_seen": e.times_seen,
            "raw": e.raw_value()}


@app.command("list")
def list_(
    ctx: typer.Context,
    source: str | None = typer.Option(None, "--source", help="Only this connector."),
    all_: bool = typer.Option(False, "--all", help="Include resolved and dismissed entries."),
    limit: int = typer.Option(200, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: a list of entries with "
                                 "their reason, problems and raw content."),
) -> None:
    """List quarantined records (open ones unless --all, which adds resolved and dismissed)."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        entries = q.list_entries(conn, status=None if all_ else q.OPEN, source=source,
                                 limit=limit)
    if as_json:
        sys.stdout.write(orjson.dumps([entry_json(e) for e in entries],
                                      option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if not entries:
        out.print("Nothing in quarantine." if not all_ else "The quarantine has never been used.")
        return
    table = Table(title="quarantine", title_justify="left")
    for col in ("id", "source", "entity", "where", "reason", "seen", "status"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(str(e.id), e.source, e.entity, e.location or "-", e.reason.splitlines()[0],
                      f"{e.times_seen}x", e.status)
    out.print(table)
    out.print("`billing-hub quarantine show ID` shows the raw record and every problem.")


@app.command()
def show(ctx: typer.Context, entry_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Show one quarantined record: where it came from, why, and its raw content."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        entry = q.get(conn, entry_id)
        history = q.history(conn, entry_id) if entry is not None else []
    if entry is None:
        raise HubError(f"no quarantine entry {entry_id}",
                       hint="`billing-hub quarantine list` shows the open ones")
    out.print(Text.assemble((f"#{entry.id}", "bold"),
                            f"  {entry.source} / {entry.entity}  [{entry.status}]"))
    out.print(f"from:    {entry.location or '-'}")
    if entry.external_id:
        out.print(f"id:      {entry.external_id}")
    out.print(f"seen:    {entry.times_seen}x, first {when(entry.first_seen_at)}, "
              f"last {when(entry.last_seen_at)}")
    out.print(f"reason:  {entry.reason}")
    for problem in entry.details:
        field = problem.get("field") or problem.get("loc") or ""
        out.print(f"  - {field}: {problem.get('message') or problem.get('msg') or problem}")
    out.print("raw:")
    raw = entry.raw_value()
    if isinstance(raw, dict | list):
        out.print(JSON(orjson.dumps(raw).decode()))
    else:
        out.print(str(raw))
    for event in history:
        why = event.details.get("reason")
        out.print(f"{event.action.removeprefix('quarantine.')} by {event.actor} "
                  f"at {when(event.at)}" + (f": {why}" if why else ""))


@app.command()
def dismiss(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="Why this row needs no fix (audited)."),
) -> None:
    """Set an open entry aside: it no longer fails a sync, and stays dismissed if seen again."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        entry = q.dismiss(conn, entry_id, reason, actor=None, now=utcnow())
    out.print(f"#{entry_id} ({entry.location or entry.source}) dismissed: {reason.strip()}. "
              f"`billing-hub quarantine restore {entry_id}` opens it again.")


@app.command()
def restore(ctx: typer.Context, entry_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Open a dismissed entry again."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        entry = q.restore(conn, entry_id, actor=None, now=utcnow())
    out.print(f"#{entry_id} ({entry.location or entry.source}) is open again.")


@app.command()
def retry(
    ctx: typer.Context,
    entry_ids: list[int] | None = typer.Argument(None, metavar="[ID]..."),
    all_: bool = typer.Option(False, "--all", help="Retry every open entry."),
) -> None:
    """Map quarantined records again under the current config and store those that now pass."""
    if not entry_ids and not all_:
        raise typer.BadParameter("give entry ids, or --all")
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        sync = SyncEngine(hub)
        outcomes = retry_entries(sync, None if all_ else entry_ids)
    if not outcomes:
        out.print("Nothing in quarantine.")
        return
    for o in outcomes:
        mark = ("fixed", "green") if o.ok else ("still failing", "yellow")
        out.print(Text.assemble(f"#{o.entry_id}: ", mark, f" - {o.message}"))
    failing = sum(not o.ok for o in outcomes)
    out.print(f"{len(outcomes) - failing} fixed, {failing} still in quarantine.")
    raise typer.Exit(exits.QUARANTINED if failing else exits.OK)
