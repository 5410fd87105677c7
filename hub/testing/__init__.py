"""The connector contract test kit: the checks every connector passes.

This is the second public face for plugin authors (the first is :mod:`hub`):
a plugin's tests import from here, ``from hub.testing import ConnectorContract,
ConnectorHarness``, and a plugin's simulator of its remote system may use
:class:`SimServer` and :class:`FaultDice`.

- :class:`ConnectorHarness`: what a connector's author writes to run a fake of
  the remote system for the kit (:mod:`hub.testing.harness`);
- the checks, one small class each, and :class:`ContractKit`, which runs them
  without pytest (:mod:`hub.testing.checks`);
- :class:`ConnectorContract`: the checks as pytest tests, one line in a
  connector's suite (:mod:`hub.testing.contract`; it needs pytest);
- :mod:`hub.testing.plugin`: the pytest plugin billing-hub installs (a marker
  and an end-of-run summary);
- :class:`SimServer`, :class:`FaultDice` and :class:`Holds`: a threaded HTTP server,
  seeded fault injection and requests stopped until released (to kill a client
  at an exact point), for a simulator of the remote system.

Names are loaded when first used: a simulator that only needs
:class:`SimServer` does not import pytest or the checks.

docs/connectors.md walks through writing a harness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_names

if TYPE_CHECKING:
    from hub.testing.checks import CheckSkipped, ContractKit, ContractViolation
    from hub.testing.contract import ConnectorContract
    from hub.testing.faultdice import FaultDice
    from hub.testing.harness import ConnectorHarness, HarnessMissing
    from hub.testing.holds import Hold, Holds
    from hub.testing.simserver import SimServer

_FROM: dict[str, tuple[str, ...]] = {
    "hub.testing.checks": ("CheckSkipped", "ContractKit", "ContractViolation"),
    "hub.testing.contract": ("ConnectorContract",),
    "hub.testing.faultdice": ("FaultDice",),
    "hub.testing.harness": ("ConnectorHarness", "HarnessMissing"),
    "hub.testing.holds": ("Hold", "Holds"),
    "hub.testing.simserver": ("SimServer",),
}

__all__ = [
    "CheckSkipped",
    "ConnectorContract",
    "ConnectorHarness",
    "ContractKit",
    "ContractViolation",
    "FaultDice",
    "HarnessMissing",
    "Hold",
    "Holds",
    "SimServer",
]

__getattr__, __dir__ = lazy_names("hub.testing", globals(), _FROM)
