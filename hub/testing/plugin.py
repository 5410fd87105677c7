"""billing-hub's pytest plugin (entry point ``pytest11: billing_hub``).

Installed with billing-hub, it marks the tests of every
:class:`~hub.testing.contract.ConnectorContract` subclass ``connector_contract``
(select them with ``pytest -m connector_contract``) and ends the run with a
summary per connector type: how many checks passed, failed and were skipped,
and why each was skipped. Disable it with ``-p no:billing_hub``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

MARKER = "connector_contract"


def _is_contract(cls: type | None) -> bool:
    return cls is not None and any(
        c.__module__ == "hub.testing.contract" and c.__name__ == "ConnectorContract"
        for c in cls.__mro__)


@dataclass(slots=True)
class _Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


class ContractSummary:
    """Counts the contract tests' outcomes per connector type and prints them at the end."""

    def __init__(self) -> None:
        self.types: dict[str, str] = {}
        self.tallies: dict[str, _Tally] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            cls = getattr(item, "cls", None)
            if not _is_contract(cls):
                continue
            item.add_marker(MARKER)
            harness = getattr(cls, "harness", None)
            self.types[item.nodeid] = str(getattr(harness, "connector_type", "?"))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        connector_type = self.types.get(report.nodeid)
        if connector_type is None:
            return
        tally = self.tallies.setdefault(connector_type, _Tally())
        name = report.nodeid.split("::")[-1]
        if report.when == "call" and report.passed:
            tally.outcomes["passed"] += 1
        elif report.failed:
            tally.outcomes["failed"] += 1
            tally.failed.append(name)
        elif report.skipped:
            tally.outcomes["skipped"] += 1
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            tally.skipped[reason.removeprefix("Skipped: ")] += 1

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.tallies:
            return
        terminalreporter.section("billing-hub connector contract")
        for connector_type, tally in sorted(self.tallies.items()):
            counts = ", ".join(f"{n} {what}" for what, n in sorted(tally.outcomes.items()))
            terminalreporter.write_line(f"{connector_type}: {counts}")
            for name in tally.failed:
                terminalreporter.write_line(f"  failed: {name}")
            for reason, n in sorted(tally.skipped.items()):
                terminalreporter.write_line(f"  skipped ({n}): {reason}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: a check of billing-hub's connector contract (hub.testing)")
    config.pluginmanager.register(ContractSummary(), "billing_hub_contract_summary")
