"""``billing-hub collect``: payment reminders for overdue invoices ([collections])."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.table import Table

from hub.cli import exits
from hub.cli.console import out
from hub.cli.session import CliState, Hub, open_hub
from hub.collect.plan import Planned, money, plan, queue
from hub.collect.settings import CollectionSettings
from hub.errors import ConfigError
from hub.store.clock import utcnow


def collection_settings(hub: Hub) -> CollectionSettings:
    """``[collections]``, checked against the connectors it names."""
    settings = hub.config.collections
    if settings is None:
        raise ConfigError("no [collections] section in the config: nothing says which "
                          "invoices to remind, when, or how",
                          hint="see the commented [collections] block of `billing-hub init`")
    for field, name in (("source", settings.source), ("mailer", settings.mailer)):
        if name not in hub.config.connectors:
            known = ", ".join(sorted(hub.config.connectors)) or "none configured"
            raise ConfigError(f"no connector named {name!r} in the config (known: {known})",
                              path=f"collections.{field}")
    return settings


def _table(planned: list[Planned], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("invoice", "customer", "to", "due", "days", "balance", "stage", "subject"):
        table.add_column(col, justify="right" if col in ("days", "balance") else "left",
                         overflow="fold")
    for p in planned:
        table.add_row(p.invoice_number, p.customer_name, p.to_address or "[red]none[/]",
                      p.due_date.isoformat(), str(p.days_overdue), money(p.balance, p.currency),
                      f"{p.stage.days_overdue}d {p.stage.template}", p.subject)
    return table


def _skipped(planned: list[Planned]) -> None:
    for p in planned:
        if p.skipped:
            out.print(f"[yellow]skipped[/] {p.invoice_number}: {p.skipped}")


def collect(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Show what would be queued and sent; change nothing."),
    today: datetime | None = typer.Option(None, "--today", formats=["%Y-%m-%d"],
                                          help="Count days overdue up to this day "
                                               "(default: today)."),
) -> None:
    """Queue one reminder per overdue invoice and stage ([collections]), each only once."""
    state: CliState = ctx.obj
    day: date = today.date() if today else datetime.now().astimezone().date()
    with open_hub(state) as hub:
        settings = collection_settings(hub)
        with hub.engine.begin() as conn:
            planned = plan(conn, settings, day)
            counts = None if dry_run else queue(conn, planned, mailer=settings.mailer,
                                                now=utcnow())
    if dry_run:
        if planned:
            out.print(_table(planned, f"reminders due on {day} (dry run: nothing queued or "
                                      "sent)"))
            _skipped(planned)
        else:
            out.print(f"No reminder is due on {day}.")
        raise typer.Exit(exits.OK)
    assert counts is not None
    if counts.queued:
        out.print(_table([p for p in planned if not p.skipped], f"queued on {day}"))
    _skipped(planned)
    out.print(f"{counts.queued} reminder(s) queued"
              + (f", {counts.cancelled} earlier one(s) replaced" if counts.cancelled else "")
              + (f"; {counts.skipped} skipped (no e-mail address)" if counts.skipped else "")
              + ".")
    raise typer.Exit(exits.NEEDS_PERSON if counts.skipped else exits.OK)
