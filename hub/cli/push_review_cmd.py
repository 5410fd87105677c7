"""``billing-hub push plan|approve|reject|keep-theirs|send-ours``: see changes before they
are sent, say which may go, and settle changes the target edited too."""

from __future__ import annotations

from collections.abc import Sequence

import typer
from rich.table import Table
from rich.text import Text

from hub.cli.console import out
from hub.cli.session import CliState, open_hub
from hub.contract.pushing import FieldChange, FieldOutcome
from hub.errors import HubError
from hub.outbox import OutboxSender
from hub.outbox.plan import Planned, plan
from hub.outbox.queue import pending_count
from hub.outbox.review import approve as approve_rows
from hub.outbox.review import decline, keep_theirs, send_ours
from hub.outbox.settings import PushSettings
from hub.reconcile import lifecycle
from hub.runtime import Hub
from hub.store import Connection, audit
from hub.store.clock import utcnow

WHAT = {FieldOutcome.SAME: "already so", FieldOutcome.SEND: "written",
        FieldOutcome.KEPT_THEIRS: "kept as theirs", FieldOutcome.CONFLICT: "CONFLICT: not sent",
        FieldOutcome.OVERRULED: "written (ours chosen)"}


def field_table(fields: Sequence[FieldChange], target: str, *, live: bool) -> Table:
    """The fields of one change side by side: the target now, ours, the base."""
    table = Table(box=None, pad_edge=False, show_header=True, padding=(0, 2, 0, 0))
    table.add_column("field", no_wrap=True)
    if live:
        table.add_column(f"in {target} now", overflow="fold")
    table.add_column("would be" if live else "to send", overflow="fold")
    table.add_column("last sent (base)", overflow="fold")
    if live:
        table.add_column("what happens", no_wrap=True)
    for f in fields:
        cells = [f.field]
        if live:
            cells.append(f.theirs or "-")
        cells += [f.ours or "-", f.base or "-"]
        if live:
            cells.append(WHAT[f.outcome])
        table.add_row(*cells, style="bold red" if f.outcome is FieldOutcome.CONFLICT else None)
    return table


def approval_text(approved: dict[str, str] | None) -> Text:
    if approved:
        return Text(f"approved by {approved.get('by')} {str(approved.get('at', ''))[:16]}",
                    style="green")
    return Text("needs approval", style="yellow")


def print_plan(hub: Hub, targets: Sequence[str], entities_of: dict[str, list[str]]) -> int:
    """Print the plan of each target; how many changes it holds."""
    total = 0
    for name in targets:
        connector = hub.connector(name)
        try:
            sender = OutboxSender(hub.engine, connector, entities_of[name],
                                  hub.settings(PushSettings))
            planned = plan(sender)
        finally:
            connector.close()
        total += len(planned)
        for entry in planned:
            _print_entry(entry)
    return total


def _print_entry(entry: Planned) -> None:
    head = Text.assemble((f"#{entry.id} ", "bold"),
                         f"{entry.operation.replace('_', ' ')} {entry.entity} {entry.record} "
                         f"-> {entry.target}: ", (entry.outcome, "bold"), "  ",
                         approval_text(entry.approved))
    out.print(head)
    if entry.reason:
        out.print(Text(f"  {entry.reason}"))
    if entry.fields:
        shown = [f for f in entry.fields if f.outcome is not FieldOutcome.SAME] or entry.fields
        out.print(field_table(shown, entry.target, live=entry.outcome != "no preview"))
    out.print()


def plan_cmd(
    ctx: typer.Context,
    targets: list[str] | None = typer.Argument(
        None, help="Connectors to plan for (default: every one with changes queued)."),
) -> None:
    """Show each queued change against what the target holds now, field by field; send nothing."""
    from hub.cli.push_cmd import sent_entities

    state: CliState = ctx.obj
    with open_hub(state) as hub:
        with hub.engine.connect() as conn:
            names = targets or [n for n in hub.config.connectors if pending_count(conn, n)
                                and sent_entities(hub, n)]
        entities = {n: sent_entities(hub, n) for n in names}
        if not print_plan(hub, names, entities):
            out.print("Nothing queued: the outbox has no pending change.")


def approve(
    ctx: typer.Context,
    ids: list[int] | None = typer.Argument(None, metavar="[ID]..."),
    all_: bool = typer.Option(False, "--all", help="Every pending change (of --to)."),
    to: str | None = typer.Option(None, "--to", help="With --all: only changes for this "
                                                     "connector."),
) -> None:
    """Approve queued changes, so that `push send` and scheduled pushes may send them."""
    if not ids and not all_:
        raise HubError("name the changes to approve, or --all",
                       hint="`billing-hub push plan` shows them with their ids")
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        done = approve_rows(conn, None if all_ else ids, target=to,
                            actor=audit.default_actor(), now=utcnow())
    out.print(f"{len(done)} change(s) approved" + (f": {', '.join(map(str, done))}" if done
                                                   else " (none waited for approval)") + ".")


def reject(
    ctx: typer.Context,
    change_id: int = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="Why it is not to be sent."),
) -> None:
    """Decline a queued change: it is never sent (audited, with the reason)."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        decline(conn, change_id, reason=reason, actor=audit.default_actor(), now=utcnow())
        _settle_finding(conn, change_id, f"change {change_id} rejected: {reason}")
    out.print(f"Change {change_id} rejected: it will not be sent.")


def keep_theirs_cmd(
    ctx: typer.Context,
    change_id: int = typer.Argument(..., metavar="ID"),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Settle a conflict for the target: its values stay, our change is not sent."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        row = keep_theirs(conn, change_id, note=note, actor=audit.default_actor(),
                          now=utcnow())
        _settle_finding(conn, change_id, f"kept {row.target}'s values")
    out.print(f"Change {change_id} settled: {row.target} keeps its values; the next change of "
              "this record leaves those fields as they are unless ours moves them again.")


def send_ours_cmd(
    ctx: typer.Context,
    change_id: int = typer.Argument(..., metavar="ID"),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Settle a conflict for us: the change is queued again, approved, and overwrites."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        row = send_ours(conn, change_id, note=note, actor=audit.default_actor(), now=utcnow())
        _settle_finding(conn, change_id, f"our values sent to {row.target}")
    out.print(f"Change {change_id} queued again, approved: it writes our values over "
              f"{row.target}'s at the next `billing-hub push send {row.target}`.")


def _settle_finding(conn: Connection, change_id: int, note: str) -> None:
    """Resolve the change's ``concurrent_edit`` finding, if it has one open."""
    for found in lifecycle.select(conn, kinds=["concurrent_edit"]):
        if found.details.get("outbox_id") == change_id:
            lifecycle.set_status(conn, found.id, lifecycle.RESOLVED, note=note,
                                 actor=audit.default_actor(), now=utcnow())
