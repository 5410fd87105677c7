"""``billing-hub init``: write a commented configuration file to start from."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import typer

from hub.cli.console import out
from hub.cli.state import CliState
from hub.errors import ConfigError


def template_text() -> str:
    """The commented starter config shipped with the package."""
    return files("hub.cli").joinpath("templates/billing-hub.toml").read_text(encoding="utf-8")


def init(
    ctx: typer.Context,
    path: Path | None = typer.Argument(None, help="Where to write (default: --config's path)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented billing-hub.toml to start from."""
    state: CliState = ctx.obj
    target = path or state.config_path
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists",
                          hint="pass --force to overwrite it, or give another path")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(template_text(), encoding="utf-8")
    out.print(f"Wrote {target}. Edit the [connectors] sections, then run `billing-hub sync`.")
