"""``billing-hub invoices``: send invoices to their customers, once each ([invoicing])."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.table import Table
from rich.text import Text

from hub.cli import exits
from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.errors import HubError
from hub.invoicing.sender import InvoiceSender, Outcome
from hub.invoicing.settings import InvoicingSettings
from hub.reconcile.naming import NAME_HELP, resolve
from hub.store import audit
from hub.store import invoice_sends as store
from hub.store.clock import utcnow

app = typer.Typer(help="Invoices out: send each invoice to its customer once, see what went.",
                  no_args_is_help=True)

_STYLE = {"sent": "green", "delivered": "green", "already": "dim", "refused": "yellow",
          "rejected": "red", "bounced": "red", "unconfirmed": "yellow"}
STATUSES = (store.SENDING, store.SENT, store.DELIVERED, store.BOUNCED, store.REJECTED,
            store.UNCONFIRMED)


@app.command()
def send(
    ctx: typer.Context,
    records: list[str] = typer.Argument(None, metavar="[INVOICE]...",
                                        help=f"The invoices to send: {NAME_HELP}."),
    due: bool = typer.Option(False, "--due", help="Send every issued invoice of \\[invoicing] "
                                                  "sources that was not sent yet."),
    today: datetime | None = typer.Option(None, "--today", formats=["%Y-%m-%d"],
                                          help="With --due: invoices issued up to this day "
                                               "(default: today)."),
) -> None:
    """Send invoices to their customers through their system (Stripe, QuickBooks) or as a
    PDF e-mailed by the hub; each invoice once."""
    state: CliState = ctx.obj
    if bool(records) == due:
        raise typer.BadParameter("name the invoices to send, or give --due (not both)")
    day: date = today.date() if today else datetime.now().astimezone().date()
    with open_hub(state) as hub:
        sender = InvoiceSender(hub, hub.settings(InvoicingSettings))
        if due:
            if not sender.settings.sources:
                raise HubError("no [invoicing] sources: --due does not know whose invoices "
                               "to send", hint='add `sources = ["NAME", ...]` to [invoicing]')
            names = sender.due(day)
        else:
            names = []
            with hub.engine.connect() as conn:
                for text in records:
                    found = resolve(conn, text)
                    if found.entity != "invoice":
                        raise HubError(f"{found.name} is a {found.entity}, not an invoice")
                    names.append((found.source, found.name.split(":", 2)[2]))
            for source in {s for s, _ in names}:
                sender.channel(source)  # refuse, with the reason, before anything goes
        with out.status(f"sending {len(names)} invoice(s)..."):
            outcomes = sender.send(names)
    if not outcomes:
        out.print(f"No invoice waits to be sent (issued up to {day}).")
        raise typer.Exit(exits.OK)
    _show(outcomes)
    raise typer.Exit(_code(outcomes))


def _show(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        to = f" to {o.to}" if o.to else ""
        how = {"service": " by its system", "email": " as a PDF e-mail"}.get(o.channel, "")
        note = f": {o.note}" if o.note else ""
        out.print(Text.assemble((o.status, _STYLE.get(o.status, "")),
                                f" {o.name} ({o.number}){how}{to}{note}"))
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    out.print(", ".join(f"{n} {status}" for status, n in counts.items()) + ".")


def _code(outcomes: list[Outcome]) -> int:
    if any(o.status in ("rejected", "bounced", "unconfirmed", "refused") for o in outcomes):
        return exits.NEEDS_PERSON
    return exits.OK


@app.command("list")
def list_sends(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", help=", ".join(STATUSES)),
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """The latest invoice sends, with their status, channel and key."""
    state: CliState = ctx.obj
    if status is not None and status not in STATUSES:
        raise HubError(f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
    with open_hub(state) as hub, hub.engine.connect() as conn:
        found = store.latest(conn, limit=limit, status=status)
    table = Table(title="invoice sends", title_justify="left")
    for col in ("invoice", "number", "via", "to", "status", "sent", "key", "note"):
        table.add_column(col, overflow="fold")
    for s in found:
        table.add_row(f"{s.source}:invoice:{s.invoice_external_id}", s.invoice_number,
                      f"{s.via} ({s.channel})", s.to_address or "-", s.status, when(s.sent_at),
                      s.message_id or s.key, s.last_error or s.answer or "")
    out.print(table)


@app.command()
def mark(
    ctx: typer.Context,
    record: str = typer.Argument(..., metavar="INVOICE", help=NAME_HELP),
    sent: bool = typer.Option(False, "--sent", help="It did arrive (found in the Sent "
                                                    "folder or the server's log)."),
    not_sent: bool = typer.Option(False, "--not-sent", help="It did not: the next `invoices "
                                                            "send` sends it, under a new key."),
) -> None:
    """Settle an unconfirmed send: it arrived (--sent) or it did not (--not-sent)."""
    state: CliState = ctx.obj
    if sent == not_sent:
        raise typer.BadParameter("say --sent or --not-sent")
    with open_hub(state) as hub, hub.engine.begin() as conn:
        found = resolve(conn, record)
        external_id = found.name.split(":", 2)[2]
        row = store.of_invoice(conn, found.source, external_id)
        if row is None or row.status != store.UNCONFIRMED:
            state_ = row.status if row else "never sent"
            raise HubError(f"{found.name} is {state_}; only an unconfirmed send can be marked")
        now = utcnow()
        if sent:
            store.finish(conn, row.id, store.SENT, answer="confirmed by a person", sent_at=now)
        else:
            store.finish(conn, row.id, store.REJECTED,
                         reason="a person found it was not delivered")
        audit.record(conn, "invoice.send_confirmed" if sent else "invoice.send_not_delivered",
                     subject=found.name, at=now, details={"message_id": row.message_id})
    out.print(f"{found.name} is sent." if sent else
              f"{found.name} is not sent: `billing-hub invoices send` sends it again.")
