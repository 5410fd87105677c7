"""``billing-hub reminders inbox|held|done``: the replies waiting for a person, and the
reminders that what customers said holds (beside ``reminders list|confirm|resend``)."""

from __future__ import annotations

import typer
from rich.text import Text

from hub.cli.collect_cmd import reminders_app
from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.collect.replies import take_in_replies
from hub.collect.run import collection_settings
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
    out.print(Text("replies waiting for a person (newest first)", style="bold"))
    for e in waiting:
        out.print(Text(f"[{e.id}] {when(e.at)}  {e.customer or 'customer unknown'}  "
                       f"{e.details.get('needs_person') or ''}: {e.summary}"))
        if e.details.get("evidence"):
            out.print(Text(f"      \u201c{e.details['evidence']}\u201d"))
    out.print("When one is dealt with: `billing-hub reminders handled ID`.")


@reminders_app.command()
def held(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """Every time a reminder was held, newest first, with the rule that held it (a
    dispute, a stop, a promise, an absence, a bounced address; paid or covered in
    another system). `reminders list --held` shows what is held now."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        found = store_contact.events(conn, kind="hold", limit=limit)
    if not found:
        out.print("No reminder is held.")
        return
    out.print(Text("held reminders (newest first): when, customer, invoice, stage, rule: why",
                   style="bold"))
    for e in found:
        d = e.details
        out.print(Text(f"{when(e.at)}  {e.customer or '?'}  {d.get('invoice', '')}  "
                       f"{d.get('stage_days', '')}d  {d.get('rule', '')}: {d.get('reason', '')}"))


@reminders_app.command("handled")
def handled(ctx: typer.Context, event_id: int = typer.Argument(..., metavar="ID")) -> None:
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
