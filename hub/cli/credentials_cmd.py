"""``billing-hub credentials list|forget``: what connectors keep sealed in the store."""

from __future__ import annotations

import typer
from rich.table import Table

from hub.cli import exits
from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.store import audit
from hub.store import credentials as vault

app = typer.Typer(help="Credentials connectors keep between runs (rotated OAuth tokens), "
                       "sealed in the store: see them, or forget them to start over.",
                  no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """What each connector keeps, and when it last changed (never the values)."""
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        rows = vault.kept(hub.engine)
    if not rows:
        out.print("No connector keeps credentials in this store.")
        return
    table = Table(title_justify="left")
    for col in ("connector", "name", "updated"):
        table.add_column(col)
    for row in rows:
        table.add_row(row.connector, row.name, when(row.updated_at))
    out.print(table)


@app.command()
def forget(ctx: typer.Context, connector: str = typer.Argument(..., metavar="CONNECTOR"),
           yes: bool = typer.Option(False, "--yes", help="Do not ask first.")) -> None:
    """Delete what CONNECTOR keeps: its next run signs in with what the config gives.

    For a store whose secret key was lost or changed, or an account to be
    connected afresh (a new refresh token in the config).
    """
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        if not vault.kept(hub.engine, connector):
            out.print(f"Connector {connector!r} keeps nothing in this store.")
            return
        if not yes and not typer.confirm(
                f"Forget what {connector!r} keeps? It then needs the credentials in the "
                "config to sign in (connect the account again if they are old)"):
            out.print("Nothing forgotten.")
            raise typer.Exit(exits.FAILED)
        names = vault.forget(hub.engine, connector, actor=audit.default_actor())
    out.print(f"Forgot {', '.join(names)} of {connector!r}. Put fresh credentials in the "
              f"config if needed, then `billing-hub sync {connector}`.")
