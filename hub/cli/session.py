"""What every command that works on a configured hub needs: config, plugins, store."""

from __future__ import annotations

from contextlib import AbstractContextManager

from hub.cli.state import CliState
from hub.runtime import Hub

__all__ = ["CliState", "open_hub"]


def open_hub(state: CliState) -> AbstractContextManager[Hub]:
    """The hub of the config the command was given (``--config``), open for the block."""
    return Hub.open(state.config_path)
