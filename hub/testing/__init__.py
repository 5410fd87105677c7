"""The connector contract test kit: the checks every connector passes.

- :mod:`hub.testing.harness`: :class:`ConnectorHarness`, what a connector's
  author writes to run a fake of the remote system for the kit;
- :mod:`hub.testing.checks`: :class:`ContractKit` and its checks, usable
  without pytest;
- :mod:`hub.testing.contract`: :class:`~hub.testing.contract.ConnectorContract`,
  the checks as pytest tests, one line in a connector's suite;
- :mod:`hub.testing.plugin`: the pytest plugin billing-hub installs (a marker
  and an end-of-run summary).

docs/connectors.md walks through writing a harness.
"""

from hub.testing.checks import CheckSkipped, ContractKit, ContractViolation
from hub.testing.harness import ConnectorHarness, HarnessMissing

__all__ = ["CheckSkipped", "ConnectorHarness", "ContractKit", "ContractViolation",
           "HarnessMissing"]
