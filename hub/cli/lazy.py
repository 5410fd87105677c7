"""Commands whose modules are imported only when they run.

``billing-hub --help`` lists every command with a one-line summary kept in
the command table (:data:`hub.cli.app.COMMANDS`); running a command, or
asking for its own ``--help``, imports its module then. So starting the CLI
costs what one command needs, not what all of them need (SQLAlchemy,
Alembic, the reconciler, the web framework ...).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand


def as_command(target: object, name: str) -> Any:
    """A Typer app or a command function as the command-line object that runs it."""
    if isinstance(target, typer.Typer):
        return typer.main.get_group(target)
    single = typer.Typer(rich_markup_mode="rich", add_completion=False)
    single.command(name=name)(target)  # type: ignore[type-var]
    return typer.main.get_command(single)


class LazyCommand(TyperCommand):
    """A command known by its name, summary and ``module:attribute``; loaded on first use."""

    def __init__(self, name: str, target: str, summary: str) -> None:
        super().__init__(name=name, help=summary, short_help=summary)
        self.target = target
        self.rich_help_panel = None
        self._loaded: Any = None

    def load(self) -> Any:
        """The real command (a Typer command or group), imported once."""
        if self._loaded is None:
            module, _, attribute = self.target.partition(":")
            self._loaded = as_command(getattr(import_module(module), attribute), self.name or "")
        return self._loaded

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        """The real command's context: it parses the arguments and runs."""
        return self.load().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        return self.load().invoke(ctx)
