"""``billing-hub aliases list|add|remove``: the other names customers pay under."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.errors import HubError
from hub.reconcile.naming import NAME_HELP, resolve
from hub.store import Connection, audit
from hub.store import aliases as store_aliases
from hub.store.clock import utcnow

app = typer.Typer(help="Other names customers pay under: their records' own and those "
                       "learned from confirmed payments or added by hand.",
                  no_args_is_help=True)

CUSTOMER = typer.Argument(..., metavar="CUSTOMER",
                          help=f"The customer: {NAME_HELP}")

BY_HAND = "added by hand"
"""The reason recorded for an alias ``aliases add`` made without ``--note``."""


def customer_of(conn: Connection, text: str) -> store_aliases.Customer:
    """The live customer record ``text`` names (:func:`hub.reconcile.naming.resolve`)."""
    return store_aliases.customer(conn, resolve(conn, text).id)


def undo_hint(alias: store_aliases.Alias) -> str:
    return f"undo: billing-hub aliases remove {alias.id}"


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: str | None = typer.Argument(None, metavar="[CUSTOMER]",
                                          help=f"The customer: {NAME_HELP}; default: "
                                               "the learned aliases of every customer"),
    removed: bool = typer.Option(False, "--removed", help="Also the aliases removed since."),
) -> None:
    """A customer's aliases (its record's and the learned ones), or every learned alias."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        of = customer_of(conn, customer) if customer is not None else None
        learned = store_aliases.listing(conn, of.id if of else None, removed=removed)
    if of is not None:
        out.print(Text(f"{of.label} ({of.name})"))
        own = ", ".join(of.aliases) if of.aliases else "none"
        out.print(Text(f"in its record (read-only, change them in {of.source}): {own}"))
    if not learned:
        out.print("No learned aliases." if of is None else "learned: none")
        return
    table = Table(title=None if of is None else "learned", title_justify="left")
    columns = ["id", *(() if of else ("customer",)), "alias", "added by", "added", "why"]
    if removed:
        columns.append("removed")
    for col in columns:
        table.add_column(col, overflow="fold", no_wrap=col == "id")
    for a in learned:
        cells = [str(a.id), *(() if of else (f"{a.customer} ({a.customer_name})",)), a.name,
                 a.added_by, when(a.added_at), a.reason]
        if removed:
            cells.append(f"{when(a.removed_at)} by {a.removed_by}" if a.removed_at else "")
        table.add_row(*(Text(c) for c in cells))
    out.print(table)


@app.command()
def add(
    ctx: typer.Context,
    customer: str = CUSTOMER,
    name: str = typer.Argument(..., metavar="NAME", help="The name, as the payer writes it."),
    note: str | None = typer.Option(None, "--note", help="Why (kept with the alias)."),
) -> None:
    """Learn NAME as another name CUSTOMER pays under (audited)."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        of = customer_of(conn, customer)
        alias = store_aliases.add(conn, of, name, reason=note or BY_HAND,
                                  actor=audit.default_actor(), now=utcnow())
    out.print(Text(f"Added {alias.name!r} as an alias of {of.label} ({of.name}), alias "
                   f"{alias.id}; {undo_hint(alias)}"))


@app.command()
def remove(
    ctx: typer.Context,
    which: list[str] = typer.Argument(..., metavar="ID | CUSTOMER NAME",
                                      help="The alias's id, or the customer and the name."),
) -> None:
    """Stop using a learned alias (audited; `aliases list --removed` still shows it)."""
    state: CliState = ctx.obj
    if len(which) not in (1, 2) or (len(which) == 1 and not which[0].isdigit()):
        raise HubError("name the alias by its id, or by its customer and the name",
                       hint="billing-hub aliases remove 3, or billing-hub aliases remove "
                            "books:customer:C-7 \"Wayne Holdings\"")
    with open_hub(state) as hub, hub.engine.begin() as conn:
        if len(which) == 1:
            alias_id = int(which[0])
        else:
            of = customer_of(conn, which[0])
            found = store_aliases.live_one(conn, of.id, which[1])
            if found is None:
                raise HubError(f"{of.label} ({of.name}) has no learned alias {which[1]!r}",
                               hint=f"`billing-hub aliases list {of.label}` shows its aliases")
            alias_id = found.id
        done = store_aliases.remove(conn, alias_id, actor=audit.default_actor(), now=utcnow())
    out.print(Text(f"Removed alias {done.id}, {done.name!r} of {done.customer} "
                   f"({done.customer_name}): the next reconcile no longer knows it by that "
                   "name."))
