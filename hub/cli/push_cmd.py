"""``billing-hub push queue|plan|send|list|approve|reject|retry|keep-theirs|send-ours``:
mirror records into another system, seeing and approving each change first."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text

from hub.cli import exits
from hub.cli import push_review_cmd as review
from hub.cli.console import err, out, styled, when
from hub.cli.push_progress import SendDisplay
from hub.cli.session import CliState, open_hub
from hub.errors import ConfigError, HubError
from hub.outbox import MirrorSettings, OutboxSender, SendCounts, queue_mirror
from hub.outbox.queue import (
    CONFLICT,
    DECLINED,
    FAILED,
    PENDING,
    REJECTED,
    SENT,
    SUPERSEDED,
    pending_count,
)
from hub.outbox.review import approve as approve_rows
from hub.outbox.rows import list_entries, send_again
from hub.outbox.settings import PushSettings
from hub.reconcile import conflicts
from hub.runtime import Hub
from hub.secrets import redact
from hub.store import audit
from hub.store.clock import utcnow
from hub.store.outbox import APPLICATIONS

app = typer.Typer(help="Mirror records into another system through the outbox: queue the "
                       "changes, send them, see what waits.", no_args_is_help=True)
STATUSES = (PENDING, FAILED, CONFLICT, REJECTED, DECLINED, SENT, SUPERSEDED)


def pushed_entities(hub: Hub, name: str) -> list[str]:
    """The entities connector ``name`` declares ``push`` for (ConfigError if it is not one)."""
    if name not in hub.config.connectors:
        known = ", ".join(sorted(hub.config.connectors)) or "none configured"
        raise ConfigError(f"no connector named {name!r} in the config (known: {known})",
                          path=f"connectors.{name}")
    spec = hub.registry.connector_spec(hub.config.connectors[name].type)
    return [e.entity for e in spec.entities if e.push]


def sent_entities(hub: Hub, name: str) -> list[str]:
    """What ``push send`` takes for connector ``name``: the entities it pushes, and the
    payment applications when it applies payments to its invoices."""
    pushed = pushed_entities(hub, name)
    spec = hub.registry.connector_spec(hub.config.connectors[name].type)
    return pushed + ([APPLICATIONS] if any(e.apply_payments for e in spec.entities) else [])


def _mirrors(hub: Hub, to: str | None, source: str | None, entities: list[str] | None,
             mark_paid: bool, since: datetime | None) -> list[MirrorSettings]:
    if (to is None) != (source is None):
        raise ConfigError("name both the target (--to) and the source (--from)",
                          hint="or leave both out to queue every [[push.mirrors]] of the config")
    if to is not None:
        chosen = [MirrorSettings.model_validate({
            "from": source, "to": to, "entities": entities or ["customer", "invoice"],
            "mark_paid": mark_paid, "since": since.date() if since else None})]
    else:
        chosen = [m for m in hub.settings(PushSettings).mirrors]
    if not chosen:
        raise ConfigError("nothing to mirror: no --to/--from given and no [[push.mirrors]] in "
                          "the config", hint="billing-hub push queue --to stripe --from books")
    for mirror in chosen:
        can = pushed_entities(hub, mirror.target)
        for entity in mirror.entities:
            if entity not in can:
                raise ConfigError(
                    f"connector {mirror.target!r} does not push {entity}s "
                    f"(it pushes: {', '.join(can) or 'nothing'})",
                    hint="`billing-hub plugins` shows what each connector can do")
    return chosen


@app.command()
def queue(
    ctx: typer.Context,
    to: str | None = typer.Option(None, "--to", help="The connector to push to (stripe)."),
    source: str | None = typer.Option(None, "--from", help="The source mirrored (books)."),
    entity: list[str] | None = typer.Option(
        None, "--entity", "-e", help="customer, invoice (repeatable; default both)."),
    no_mark_paid: bool = typer.Option(False, "--no-mark-paid",
                                      help="Do not mark invoices paid elsewhere as paid."),
    since: datetime | None = typer.Option(None, "--since", formats=["%Y-%m-%d"],
                                          help="Leave invoices issued before this day alone."),
) -> None:
    """Queue creates, updates and payments that bring the target in line with the source."""
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        mirrors = _mirrors(hub, to, source, entity, not no_mark_paid, since)
        with hub.engine.begin() as conn:
            now, actor = utcnow(), audit.default_actor()
            results = [queue_mirror(conn, source=m.source, target=m.target, entity=e,
                                    mark_paid=m.mark_paid, since=m.since, actor=actor, now=now)
                       for m in mirrors for e in m.entities]
    table = Table(title="queued", title_justify="left")
    for col in ("from", "to", "entity", "creates", "updates", "mark paid", "customers",
                "unchanged", "waiting", "skipped"):
        table.add_column(col, justify="left" if col in ("from", "to", "entity") else "right")
    for c in results:
        table.add_row(c.source, c.target, c.entity, *(str(v) for v in (
            c.creates, c.updates, c.mark_paid, c.customers, c.unchanged, c.waiting, c.skipped)))
    out.print(table)
    total = sum(c.queued for c in results)
    seen = sum(c.queued + c.unchanged + c.waiting + c.skipped for c in results)
    if not seen:
        out.print(Text.assemble(("No records of the source in the store.", "yellow"),
                                f" Sync it first (`billing-hub sync {mirrors[0].source}`)."))
    elif total:
        out.print(f"{total} change(s) queued. Send them with `billing-hub push send`.")
    else:
        out.print("Nothing new to queue: the target has every change already.")


@app.command()
def send(
    ctx: typer.Context,
    targets: list[str] | None = typer.Argument(
        None, help="Connectors to send to (default: every one with changes queued)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars."),
    unapproved: bool = typer.Option(
        False, "--unapproved", help="Also send changes nobody approved (they are approved in "
                                    "your name first, audited)."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Only show what would be sent (as `push plan`)."),
) -> None:
    """Send the approved changes, each with its idempotency key, and record the answers."""
    state: CliState = ctx.obj
    done: dict[str, SendCounts] = {}
    with open_hub(state) as hub:
        with hub.engine.connect() as conn:
            names = targets or [n for n in hub.config.connectors if pending_count(conn, n)
                                and sent_entities(hub, n)]
            stuck = pending_count(conn) - sum(pending_count(conn, n) for n in names)
        entities_of = {n: sent_entities(hub, n) for n in names}
        for name, entities in entities_of.items():
            if not entities:
                raise ConfigError(f"connector {name!r} does not push anything",
                                  hint="`billing-hub plugins` shows what each connector can do")
        if dry_run:
            if not review.print_plan(hub, names, entities_of):
                out.print("Nothing to send: the outbox is empty.")
            return
        if unapproved:
            with hub.engine.begin() as conn:
                for name in names:
                    approve_rows(conn, None, target=name, actor=audit.default_actor(),
                                 now=utcnow())
        for name, entities in entities_of.items():
            connector = hub.connector(name)
            try:
                with SendDisplay(enabled=not no_progress) as display:
                    done[name] = OutboxSender(hub.engine, connector, entities,
                                              hub.settings(PushSettings), progress=display,
                                              only_approved=True).send()
            finally:
                connector.close()
        if any(c.conflicts for c in done.values()):
            with hub.engine.begin() as conn:
                conflicts.record_now(conn, utcnow())
    if not done:
        if stuck:
            out.print(f"Nothing sent: {stuck} change(s) wait for connectors that cannot send "
                      "them (`billing-hub push list` shows which).")
        else:
            out.print("Nothing to send: the outbox is empty.")
        return
    raise typer.Exit(_report(done))


def _report(done: dict[str, SendCounts]) -> int:
    table = Table(title="sent", title_justify="left")
    for col in ("to", "created", "updated", "unchanged", "rejected", "failed", "conflicts",
                "still queued"):
        table.add_column(col, justify="left" if col == "to" else "right")
    for name, c in done.items():
        table.add_row(name, str(c.created), str(c.updated), str(c.unchanged),
                      Text(str(c.rejected), style="red") if c.rejected else "0",
                      Text(str(c.failed), style="red") if c.failed else "0",
                      Text(str(c.conflicts), style="red") if c.conflicts else "0",
                      str(c.pending))
    out.print(table)
    code = exits.OK
    for name, c in done.items():
        if c.stopped:
            err.print(Text.assemble((f"{name} stopped: ", "bold red"), redact(c.stopped)))
            err.print(f"{c.pending} change(s) stay queued and go again, with the same keys, at "
                      "the next `billing-hub push send`.")
            code = exits.FAILED
    if any(c.conflicts for c in done.values()):
        out.print(styled("[red]Changed in both systems:[/] some changes were not sent because "
                         "the target changed the same fields since the hub last wrote them. "
                         "`billing-hub push list --status conflict` shows base, ours and "
                         "theirs; settle each with `billing-hub push keep-theirs ID` or "
                         "`billing-hub push send-ours ID`."))
        code = code if code != exits.OK else exits.NEEDS_PERSON
    if any(c.rejected or c.failed for c in done.values()) and code == exits.OK:
        out.print(styled("[yellow]Some changes need a person:[/] `billing-hub push list "
                         "--status rejected --status failed` shows why; fix the record and "
                         "queue again, or `billing-hub push retry ID`."))
        code = exits.NEEDS_PERSON
    waiting = sum(c.unapproved for c in done.values())
    if waiting:
        out.print(styled(f"[yellow]{waiting} change(s) wait for approval:[/] `billing-hub push "
                         "plan` shows them; `billing-hub push approve ID...` (or `--all`), or "
                         "`billing-hub push send --unapproved`."))
        code = code if code != exits.OK else exits.NEEDS_PERSON
    return code


@app.command("list")
def list_(
    ctx: typer.Context,
    target: str | None = typer.Argument(None, help="Only changes for this connector."),
    status: list[str] | None = typer.Option(
        None, "--status", "-s", help=f"{', '.join(STATUSES)} (repeatable; default: pending, "
                                     "failed and conflict)."),
    limit: int = typer.Option(100, "--limit", min=1),
) -> None:
    """List queued changes: what each changes, for where, approved or not, and why not done."""
    wanted = status or [PENDING, FAILED, CONFLICT]
    for s in wanted:
        if s not in STATUSES:
            raise HubError(f"unknown status {s!r}", hint=f"one of {', '.join(STATUSES)}")
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        entries = list_entries(conn, target=target, statuses=wanted, limit=limit)
    if not entries:
        names = ", ".join(wanted[:-1]) + " or " + wanted[-1] if len(wanted) > 1 else wanted[0]
        out.print(f"No {names} changes in the outbox.")
        return
    table = Table(title="outbox", title_justify="left")
    for col in ("id", "to", "change", "record", "status", "tries", "queued"):
        table.add_column(col, no_wrap=col != "record")
    table.add_column("why not done", overflow="fold", ratio=1)
    for e in entries:
        shown = Text(e.status)
        if e.status == PENDING:
            shown.append("\n").append_text(review.approval_text(e.approved))
        table.add_row(str(e.id), e.target, f"{e.operation} {e.entity}", e.record, shown,
                      str(e.attempts), when(e.created_at), Text(e.last_error or ""))
    out.print(table)
    for e in entries:
        if e.diff:
            out.print(Text(f"#{e.id} {e.operation} {e.entity} {e.record} -> {e.target}",
                           style="bold"))
            out.print(review.field_table(e.diff, e.target, live=e.status == CONFLICT))


@app.command()
def retry(
    ctx: typer.Context,
    ids: list[int] | None = typer.Argument(None, metavar="[ID]..."),
    all_: bool = typer.Option(False, "--all", help="Every failed or rejected change."),
) -> None:
    """Queue failed or rejected changes again (same keys), after fixing what stopped them."""
    if not ids and not all_:
        raise HubError("name the changes to send again, or --all",
                       hint="`billing-hub push list --status failed` shows their ids")
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        again = send_again(conn, None if all_ else ids, actor=audit.default_actor(),
                           now=utcnow())
    if not again:
        raise HubError("no failed or rejected change with those ids",
                       hint="`billing-hub push list --status failed --status rejected`")
    out.print(f"{len(again)} change(s) queued again. Send them with `billing-hub push send`.")


app.command("plan")(review.plan_cmd)
app.command("approve")(review.approve)
app.command("reject")(review.reject)
app.command("keep-theirs")(review.keep_theirs_cmd)
app.command("send-ours")(review.send_ours_cmd)
