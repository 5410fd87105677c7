"""``billing-hub reminders inbox|held|done``: the replies waiting for a person, and the
reminders that what customers said holds (beside ``reminders list|confirm|resend``)."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from hub.cli.collect_cmd import collection_settings, reminders_app
from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.collect.replies import take_in_replies
from hub.errors import HubError
from hub.store import audit
from hub.store import contact as store_contact
from hub.store.clock import utcnow

__all__ = ["reminders_app"]


@reminders_app.command()
def inbox(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """Replies that wait for a person: questions, disputes to answer, stops, bounces,
    anything the hub could not act on. New replies are read first."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        if hub.config.has_table("collections"):
            take_in_replies(conn, collection_settings(hub), utcnow())
        waiting = store_contact.events(conn, kind="reply", open_only=True, limit=limit)
    if not waiting:
        out.print("No reply waits for a person.")
        return
    table = Table(title="replies waiting for a person", title_justify="left")
    for col in ("id", "received", "customer", "kind", "why", "reply"):
        table.add_column(col, overflow="fold")
    for e in waiting:
        table.add_row(str(e.id), when(e.at), Text(e.customer or "?"),
                      str(e.details.get("kind", "")), Text(str(e.details.get("needs_person")
                                                               or "")), Text(e.summary))
    out.print(table)
    out.print("When one is dealt with: `billing-hub reminders done ID`.")


@reminders_app.command()
def held(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """Reminders held by what a customer said (a dispute, a stop, a promise, an absence,
    a bounced address), each with the rule that held it."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        found = store_contact.events(conn, kind="hold", limit=limit)
    if not found:
        out.print("No reminder is held.")
        return
    table = Table(title="held reminders", title_justify="left")
    for col in ("when", "customer", "invoice", "stage", "rule", "reason"):
        table.add_column(col, overflow="fold")
    for e in found:
        d = e.details
        table.add_row(when(e.at), Text(e.customer or "?"), Text(str(d.get("invoice", ""))),
                      f"{d.get('stage_days', '')}d", str(d.get("rule", "")),
                      Text(str(d.get("reason", ""))))
    out.print(table)


@reminders_app.command()
def done(ctx: typer.Context, event_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Take a reply off the worklist once a person dealt with it (audited)."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        event = store_contact.get_event(conn, event_id)
        if event is None or not store_contact.close_event(conn, event_id):
            raise HubError(f"no reply {event_id} waits for a person",
                           hint="`billing-hub reminders inbox` lists them")
        audit.record(conn, "reply.done", subject=f"contact_event:{event_id}",
                     details={"customer": event.customer, "summary": event.summary})
    out.print(f"Reply {event_id} is off the worklist.")
