"""What the ``billing-hub`` options give every command: the config file's path.

Kept apart from :mod:`hub.cli.session` (which opens the hub: SQLAlchemy, the
store, the plugins) so that starting the CLI imports none of that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hub.config import DEFAULT_CONFIG_NAME

CONFIG_ENV = "BILLING_HUB_CONFIG"


@dataclass(slots=True)
class CliState:
    """Options given before the command (``billing-hub --config x.toml sync``)."""

    config_path: Path


def default_config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)
