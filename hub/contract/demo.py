"""Local fakes of outside systems that ``billing-hub demo`` runs while it syncs.

A plugin offers one through the ``hub_demo_services`` hook, so the demo can
show a connector for a live system (Stripe) without an account, a network or
any import of the plugin by the core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DemoService:
    """A seeded fake of a plugin's system, and the connector that reads it.

    ``start`` starts the fake and returns the options of the connector's
    ``[connectors.<instance>]`` table pointing at it (``type`` aside; values
    may be typed already, a ``SecretStr`` for a secret). ``stop`` stops it.
    The fake must hold the same objects, with the same ids and times, every
    time it starts, so that running the demo again changes nothing.
    """

    instance: str
    """The connector instance name in the demo's store (every record's ``source``)."""
    connector_type: str
    """The connector type that reads the fake (``ConnectorSpec.name``)."""
    description: str
    """One line for the demo's output: what the fake holds."""
    start: Callable[[], Mapping[str, Any]]
    stop: Callable[[], None]
