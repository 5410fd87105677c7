"""``billing-hub plugin new NAME``: start a connector plugin for a system we don't ship."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from hub.cli import exits
from hub.cli.console import err, out
from hub.plugins import load_plugins
from hub.scaffold import ScaffoldError, new_plugin

app = typer.Typer(help="Write new plugins.", no_args_is_help=True)


@app.command("new")
def new(
    name: str = typer.Argument(..., help="The connector type, e.g. acme_erp (lowercase)."),
    folder: Path = typer.Option(Path("."), "--dir", "-d",
                                help="Where to create the plugin's folder."),
) -> None:
    """Write an installable connector plugin that passes the connector contract as written."""
    taken = frozenset(load_plugins().connector_specs())
    try:
        root = new_plugin(name, folder, taken=taken)
    except ScaffoldError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)), highlight=False)
        raise typer.Exit(exits.USAGE) from None
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    out.print(f"Wrote the {name!r} connector plugin in {root}/ ({len(files)} files):")
    for file in files:
        out.print(f"  {file}")
    out.print(
        "Next:\n"
        f"  cd {root}\n"
        "  pip install -e .         # into billing-hub's environment\n"
        f"  billing-hub plugins      # lists {name}\n"
        "  pytest                   # the connector contract, against the fake API\n"
        "The guide: docs/connectors.md in billing-hub.")
