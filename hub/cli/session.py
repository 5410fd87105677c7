"""What every command that works on a configured hub needs: config, plugins, store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from hub.config import DEFAULT_CONFIG_NAME, HubConfig, load_config
from hub.plugins import PluginRegistry, load_plugins
from hub.store import open_store

CONFIG_ENV = "BILLING_HUB_CONFIG"


@dataclass(slots=True)
class CliState:
    """Options given before the command (``billing-hub --config x.toml sync``)."""

    config_path: Path


def default_config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


@dataclass(slots=True)
class Hub:
    """A loaded config, the plugin registry and an engine on the migrated store."""

    config: HubConfig
    registry: PluginRegistry
    engine: Engine


@contextmanager
def open_hub(state: CliState) -> Iterator[Hub]:
    config = load_config(state.config_path)
    registry = load_plugins()
    engine = open_store(config.store_url())
    try:
        yield Hub(config, registry, engine)
    finally:
        engine.dispose()
