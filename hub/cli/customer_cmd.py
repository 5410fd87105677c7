"""``billing-hub customer show|note|contact``: a customer's contact history, notes, and
whether they may be contacted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.text import Text

from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.collect.contact_book import ContactBook
from hub.collect.replies import take_in_replies
from hub.collect.run import collection_settings
from hub.errors import HubError
from hub.reconcile.naming import NAME_HELP, resolve
from hub.reconcile.plans import standings
from hub.store import Connection, audit
from hub.store import contact as store_contact
from hub.store import plans as store_plans
from hub.store.clock import utcnow

app = typer.Typer(help="A customer's contact history (reminders, replies, holds, disputes, "
                       "promises, plans, notes)\nand whether they may be contacted.",
                  no_args_is_help=True)

CUSTOMER = typer.Argument(..., metavar="CUSTOMER", help=f"The customer: {NAME_HELP}")


def _customer(conn: Connection, text: str) -> str:
    found = resolve(conn, text)
    if found.entity != "customer":
        raise HubError(f"{found.name} is a {found.entity}, not a customer",
                       hint="name the customer as SOURCE:customer:ID")
    return found.name


@app.command()
def show(ctx: typer.Context, customer: str = CUSTOMER) -> None:
    """Everything sent to and heard from CUSTOMER, oldest first, and what holds contact."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        key = _customer(conn, customer)
        lines: list[tuple[datetime, str, str]] = []
        name = key
        if hub.config.has_table("collections"):
            settings = collection_settings(hub)
            take_in_replies(conn, settings, utcnow())
            book = ContactBook(conn, settings.source)
            name = book.name_of(key)
            exts = [i.external_id for i in book.invoices_of(key)]
            for r in store_contact.reminders_of(conn, settings.source, exts):
                m: Any = r._mapping
                lines.append((m["sent_at"] or m["queued_at"], "reminder",
                              f"{m['stage_days']}-day reminder for {m['invoice_number']} to "
                              f"{m['to_address']}: {m['status']}"
                              + (f" ({m['last_error']})" if m["last_error"] else "")))
        for e in store_contact.history(conn, key):
            lines.append((e.at, e.kind, e.summary + (" [waits for a person]" if e.open
                                                     else "")))
        blocks = store_contact.blocks(conn, customer=key, active_only=True)
        disputes = store_contact.disputes_of(conn, key)
        promises = store_contact.promises_of(conn, key)
        plans = standings(conn, store_plans.listed(conn, customer=key),
                          datetime.now().astimezone().date())
    out.print(Text(f"{name} ({key})", style="bold"))
    if blocks:
        for b in blocks:
            until = f" until {b.until}" if b.until else ""
            out.print(Text.assemble(("contact held: ", "magenta"),
                                    f"{b.kind}{until}: {b.reason}"))
    else:
        out.print("contact: allowed")
    for d in disputes:
        out.print(Text(f"dispute {d.status.value}: {', '.join(d.invoice_numbers) or 'account'}"
                       f" since {d.opened_at.date()}: {d.reason}"))
    for p in promises:
        amount = f" {p.currency} {p.amount}" if p.amount is not None else ""
        out.print(Text(f"promise to pay{amount} by {p.promised_date}: "
                       f"{', '.join(p.invoice_numbers) or 'account'}"))
    for s in plans:
        out.print(Text(f"payment plan {s.id} for {', '.join(s.plan.invoice_numbers)}: "
                       f"{s.text()}"))
    out.print(Text("contact history (oldest first)", style="bold"))
    for at, kind, text in sorted(lines, key=lambda line: line[0]):
        out.print(Text(f"{when(at)}  {kind:<8} {text}"))


@app.command()
def note(
    ctx: typer.Context,
    customer: str = CUSTOMER,
    text: str = typer.Argument(..., metavar="TEXT", help="The note (a call, an agreement)."),
) -> None:
    """Add a note to CUSTOMER's contact history (with who wrote it)."""
    state: CliState = ctx.obj
    actor = audit.default_actor()
    with open_hub(state) as hub, hub.engine.begin() as conn:
        key = _customer(conn, customer)
        store_contact.add_event(conn, customer=key, at=utcnow(), kind="note",
                                summary=" ".join(text.split())[:2000], actor=actor)
        audit.record(conn, "customer.note", subject=key, actor=actor, details={"text": text})
    out.print(f"Noted on {key}.")


@app.command()
def contact(
    ctx: typer.Context,
    customer: str = CUSTOMER,
    resume: bool = typer.Option(False, "--resume",
                                help="Lift a stop the customer asked for: reminders may go "
                                     "again (audited, with who)."),
    stop: bool = typer.Option(False, "--stop", help="Put the customer on do-not-contact."),
    reason: str = typer.Option("", "--reason", help="Why (kept in the history)."),
) -> None:
    """Lift or set do-not-contact for CUSTOMER (a stop is only lifted by a person)."""
    if resume == stop:
        raise typer.BadParameter("say --resume or --stop", param_hint="--resume/--stop")
    state: CliState = ctx.obj
    actor = audit.default_actor()
    now = utcnow()
    with open_hub(state) as hub, hub.engine.begin() as conn:
        key = _customer(conn, customer)
        why = f": {reason}" if reason else ""
        if resume:
            lifted = store_contact.lift_blocks(conn, customer=key, kind=store_contact.STOP,
                                               at=now, actor=actor)
            if not lifted:
                raise HubError(f"{key} is not on do-not-contact")
            store_contact.add_event(conn, customer=key, at=now, kind="resume", actor=actor,
                                    summary=f"contact resumed by {actor}{why}")
            audit.record(conn, "customer.contact_resumed", subject=key, actor=actor, at=now,
                         details={"lifted": lifted, "reason": reason})
            out.print(f"{key} may be contacted again (lifted by {actor}).")
        else:
            store_contact.add_block(conn, customer=key, kind=store_contact.STOP, at=now,
                                    actor=actor, origin=f"person:{key}:{now.isoformat()}",
                                    reason=f"put on do-not-contact by {actor}{why}")
            store_contact.add_event(conn, customer=key, at=now, kind="stop", actor=actor,
                                    summary=f"put on do-not-contact by {actor}{why}")
            audit.record(conn, "customer.contact_stopped", subject=key, actor=actor, at=now,
                         details={"reason": reason})
            out.print(f"{key} is on do-not-contact until `billing-hub customer contact {key} "
                      "--resume`.")
