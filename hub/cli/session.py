"""What every command that works on a configured hub needs: config, plugins, store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hub.cli.state import CliState
from hub.runtime import Hub

__all__ = ["CliState", "open_hub"]


@contextmanager
def open_hub(state: CliState) -> Iterator[Hub]:
    """The hub of the config the command was given (``--config``)."""
    with Hub.open(state.config_path) as hub:
        yield hub
