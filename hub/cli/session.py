"""What every command that works on a configured hub needs: config, plugins, store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hub.config import DEFAULT_CONFIG_NAME
from hub.runtime import Hub

CONFIG_ENV = "BILLING_HUB_CONFIG"


@dataclass(slots=True)
class CliState:
    """Options given before the command (``billing-hub --config x.toml sync``)."""

    config_path: Path


def default_config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


@contextmanager
def open_hub(state: CliState) -> Iterator[Hub]:
    """The hub of the config the command was given (``--config``)."""
    with Hub.open(state.config_path) as hub:
        yield hub
