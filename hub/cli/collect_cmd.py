"""``billing-hub collect``: payment reminders for overdue invoices ([collections])."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import Any

import orjson
import typer
from rich.table import Table
from rich.text import Text

from hub.cli import exits
from hub.cli.console import err, out, when
from hub.cli.session import CliState, open_hub
from hub.collect.plan import (
    CANCELLED,
    DONE,
    FAILED,
    HELD,
    QUEUED,
    SENDING,
    SENT,
    TASK,
    UNCONFIRMED,
    Planned,
    money,
)
from hub.collect.replies import TakenIn
from hub.collect.run import collect as run_collect
from hub.collect.settings import checked_address
from hub.errors import ConfigError, HubError
from hub.store import audit
from hub.store import reminders as store_reminders
from hub.store.clock import utcnow


def _table(planned: list[Planned], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("invoice", "customer", "to", "due", "days", "balance", "stage", "subject"):
        table.add_column(col, justify="right" if col in ("days", "balance") else "left",
                         overflow="fold")
    for p in planned:
        table.add_row(p.invoice_number, p.customer_name, p.to_address or Text("none", style="red"),
                      p.due_date.isoformat(), str(p.days_overdue), money(p.balance, p.currency),
                      f"{p.stage.days_overdue}d {p.stage.label}", p.subject)
    return table


def _held(planned: list[Planned]) -> None:
    for p in planned:
        if p.holds:
            out.print(Text.assemble(("held", "magenta"), f" {p.invoice_number} "
                                    f"({p.stage.days_overdue}d {p.stage.label}): "
                                    + "; ".join(h.text() for h in p.holds)))


def _skipped(planned: list[Planned]) -> None:
    for p in planned:
        if p.skipped:
            out.print(Text.assemble(("skipped", "yellow"), f" {p.invoice_number}: {p.skipped}"))


def collect(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Show what would be queued and sent; change nothing."),
    no_send: bool = typer.Option(False, "--no-send",
                                 help="Queue the reminders due; send them at a later run."),
    today: datetime | None = typer.Option(None, "--today", formats=["%Y-%m-%d"],
                                          help="Count days overdue up to this day "
                                               "(default: today)."),
) -> None:
    """Queue one reminder per overdue invoice and stage (\\[collections]), each only once,
    then send what is queued over the mailer's SMTP server."""
    state: CliState = ctx.obj
    day: date = today.date() if today else datetime.now().astimezone().date()
    with open_hub(state) as hub:
        result = run_collect(hub, today=day, dry_run=dry_run, send=not no_send)
    planned, counts, sent, waiting = result.planned, result.counts, result.sent, result.waiting
    if result.taken is not None:
        _taken(result.taken)
    free = [p for p in planned if not p.holds]
    if dry_run:
        if planned:
            if free:
                out.print(_table(free, f"reminders due on {day} (dry run: nothing queued or "
                                       "sent)"))
            _skipped(planned)
            _held(planned)
        else:
            out.print(f"No new reminder is due on {day}.")
        if waiting:
            out.print(f"{waiting} reminder(s) queued earlier would be sent as well "
                      "(`billing-hub reminders list --status queued`).")
        raise typer.Exit(exits.OK)
    assert counts is not None
    if counts.queued or counts.released or counts.tasks:
        out.print(_table([p for p in free if not p.skipped], f"queued on {day}"))
    _skipped(planned)
    _held(planned)
    out.print(f"{counts.queued} reminder(s) queued"
              + (f", {counts.cancelled} earlier one(s) replaced" if counts.cancelled else "")
              + (f", {counts.released} released (no rule holds them now)"
                 if counts.released else "")
              + (f"; {counts.held} held (`billing-hub reminders list --held`)"
                 if counts.held else "")
              + (f"; {counts.tasks} task(s) for a person (`billing-hub reminders list "
                 "--status task`)" if counts.tasks else "")
              + (f"; {counts.skipped} skipped (no e-mail address)" if counts.skipped else "")
              + ".")
    code = exits.NEEDS_PERSON if counts.skipped or counts.tasks else exits.OK
    if sent is not None:
        out.print(f"{sent.sent} sent, {sent.failed} refused by the server, {sent.cancelled} "
                  f"cancelled (paid meanwhile), {sent.unconfirmed} unconfirmed, {sent.waiting} "
                  "still queued.")
        if sent.held:
            out.print(f"{sent.held} held right before sending (`billing-hub reminders list "
                      "--held`).")
        if sent.deferred:
            out.print(f"{sent.deferred} wait for the customer's contact hours, a working day "
                      "or the contact cap (`billing-hub reminders list --held`).")
        if sent.failed or sent.unconfirmed:
            code = exits.NEEDS_PERSON
            out.print("See `billing-hub reminders list --status failed` and "
                      "`--status unconfirmed`: they wait for a person.")
        if sent.stopped:
            err.print(Text.assemble(("Sending stopped:", "red"), f" {sent.stopped}"))
            code = exits.FAILED
    elif no_send and waiting:
        out.print(f"{waiting} reminder(s) wait to be sent (`billing-hub collect`).")
    raise typer.Exit(code)


def _taken(taken: TakenIn) -> None:
    if not taken.replies:
        return
    parts = [f"{n} {what}" for n, what in (
        (taken.disputes, "dispute(s) opened"), (taken.stops, "stop(s) of contact"),
        (taken.promises, "promise(s) to pay"), (taken.away, "absence(s)"),
        (taken.bounced, "bounced address(es)")) if n]
    out.print(f"{taken.replies} new reply(ies) read" + (f": {', '.join(parts)}" if parts else "")
              + (f"; {taken.for_a_person} wait for a person (`billing-hub reminders inbox`)"
                 if taken.for_a_person else "") + ".")


reminders_app = typer.Typer(help="Payment reminders: what was sent, what waits for a person.",
                            no_args_is_help=True)
STATUSES = (QUEUED, SENDING, SENT, UNCONFIRMED, FAILED, CANCELLED, HELD, TASK, DONE)


def reminder_json(r: store_reminders.Reminder) -> dict[str, Any]:
    """One reminder as ``reminders list --json`` prints it (without the message body)."""
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()
    return {"id": r.id, "source": r.source, "invoice": r.invoice_number,
            "invoice_external_id": r.invoice_external_id, "stage_days": r.stage_days,
            "template": r.template, "mailer": r.mailer, "to": r.to_address,
            "customer": r.customer, "subject": r.subject, "status": r.status,
            "attempts": r.attempts, "message_id": r.message_id, "queued_at": iso(r.queued_at),
            "sent_at": iso(r.sent_at), "note": r.last_error or r.server_reply,
            "hold_rule": r.hold_rule, "held_at": iso(r.held_at)}


@reminders_app.command("list")
def list_reminders(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", help=", ".join(STATUSES)),
    limit: int = typer.Option(50, "--limit", min=1),
    held: bool = typer.Option(False, "--held", help="Only the reminders a rule holds, or "
                              "keeps waiting, with the rule and why."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: a list of reminders "
                                 "with their invoice, stage, address, status and hold."),
) -> None:
    """The latest reminders, with their status and why they wait."""
    state: CliState = ctx.obj
    if status is not None and status not in STATUSES:
        raise ConfigError(f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
    with open_hub(state) as hub, hub.engine.connect() as conn:
        found = store_reminders.latest(conn, limit=limit, status=status, held=held)
    if as_json:
        sys.stdout.write(orjson.dumps([reminder_json(r) for r in found],
                                      option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if held:
        table = Table(title="held reminders", title_justify="left")
        for col in ("id", "invoice", "stage", "customer", "status", "rule", "since", "why"):
            table.add_column(col, overflow="fold")
        for r in found:
            table.add_row(str(r.id), r.invoice_number, f"{r.stage_days}d {r.template}",
                          r.customer or r.to_address, r.status, r.hold_rule or "",
                          when(r.held_at), r.last_error or "")
        out.print(table if found else "No reminder is held.")
        return
    table = Table(title="reminders", title_justify="left")
    for col in ("id", "invoice", "stage", "to", "status", "sent", "message-id", "note"):
        table.add_column(col, overflow="fold")
    for r in found:
        table.add_row(str(r.id), r.invoice_number, f"{r.stage_days}d {r.template}",
                      r.to_address, r.status, when(r.sent_at), r.message_id,
                      r.last_error or r.server_reply or "")
    out.print(table)


def _decide(ctx: typer.Context, rid: int, allowed: tuple[str, ...], status: str,
            action: str, to: str | None = None) -> None:
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        row = store_reminders.get(conn, rid)
        if row is None:
            raise HubError(f"no reminder {rid}")
        if row.status not in allowed:
            raise HubError(f"reminder {rid} is {row.status}; only {' or '.join(allowed)} ones "
                           "can be changed so")
        details: dict[str, object] = {"was": row.status}
        confirmed = status == SENT
        changed_to = to if to is not None and to != row.to_address else None
        if changed_to is not None:
            details["to"] = {"was": row.to_address, "now": to}
        store_reminders.decided(conn, rid, status, sent_at=utcnow() if confirmed else None,
                                server_reply="confirmed by a person" if confirmed else None,
                                to_address=changed_to)
        audit.record(conn, action, subject=f"reminder:{rid}", details=details)
    if status == QUEUED:
        out.print(f"Reminder {rid} is queued again; the next `billing-hub collect` sends it to "
                  f"{to or row.to_address}.")
    else:
        out.print(f"Reminder {rid} is {status} now.")


@reminders_app.command()
def done(ctx: typer.Context, rid: int = typer.Argument(..., metavar="ID")) -> None:
    """Record that a person did a task (a call, an escalation)."""
    _decide(ctx, rid, (TASK,), DONE, "reminder.done")


@reminders_app.command()
def confirm(ctx: typer.Context, rid: int = typer.Argument(..., metavar="ID")) -> None:
    """Record that an unconfirmed reminder did arrive (found in the Sent folder or log)."""
    _decide(ctx, rid, (UNCONFIRMED,), SENT, "reminder.confirmed")


@reminders_app.command()
def resend(
    ctx: typer.Context, rid: int = typer.Argument(..., metavar="ID"),
    to: str | None = typer.Option(
        None, "--to", metavar="ADDRESS",
        help="Send it to this address instead (the server refused the old one)."),
) -> None:
    """Queue an unconfirmed or refused reminder again (it goes at the next `collect`)."""
    if to is not None:
        try:
            to = checked_address(to)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--to") from None
    _decide(ctx, rid, (UNCONFIRMED, FAILED), QUEUED, "reminder.resend", to)
