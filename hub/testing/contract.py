"""The connector contract as pytest tests: one line in a connector's test suite.

::

    from hub.testing import ConnectorContract

    class TestAcmeContract(ConnectorContract):
        harness = AcmeHarness          # your ConnectorHarness subclass

Every check of :mod:`hub.testing.checks` (:data:`~hub.testing.checks.CHECK_CLASSES`)
becomes a test of that class named by the check's ``test``, the entity checks
once per entity (``test_full_pull_returns_every_record_once[invoice]``).
A check whose capability the connector does not declare is reported as
skipped with the reason; the ``billing_hub`` pytest plugin (installed with
billing-hub) sums the contract up at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from hub.testing.checks import (
    CHECK_CLASSES,
    Check,
    CheckContext,
    CheckSkipped,
    ConnectorCheck,
    ContractKit,
    ContractViolation,
    EntityCheck,
)
from hub.testing.harness import ConnectorHarness

__all__ = ["ConnectorContract", "ConnectorHarness", "ContractViolation"]

_NOT_FOUND = "(connector type not installed)"
_entities_cache: dict[type[ConnectorHarness], list[str]] = {}


def _entities(harness: type[ConnectorHarness], workdir: Path) -> list[str]:
    """The entities to parametrise with, read once per harness at collection."""
    if harness not in _entities_cache:
        context = CheckContext(harness, workdir)
        try:
            _entities_cache[harness] = context.entities()
        except ContractViolation:
            # Reported by test_registers_through_the_entry_point; the entity tests fail too.
            _entities_cache[harness] = [_NOT_FOUND]
    return _entities_cache[harness]


def _run(kit: ContractKit, check: type[Check], entity: str | None = None) -> None:
    try:
        kit.run(check, entity)
    except CheckSkipped as skipped:
        pytest.skip(skipped.reason)


class ConnectorContract:
    """Base of a connector's contract tests: subclass it as ``Test...`` with a ``harness``."""

    harness: ClassVar[type[ConnectorHarness]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "entity" in metafunc.fixturenames:
            entities = _entities(self.harness, Path.cwd())
            metafunc.parametrize("entity", entities)

    @pytest.fixture
    def kit(self, tmp_path: Path) -> Iterator[ContractKit]:
        harness = getattr(self, "harness", None)
        if not (isinstance(harness, type) and issubclass(harness, ConnectorHarness)):
            raise ContractViolation(
                f"{type(self).__name__}.harness must be a ConnectorHarness subclass")
        contract = ContractKit(harness, tmp_path)
        try:
            yield contract
        finally:
            contract.close()


def _connector_test(check: type[ConnectorCheck]) -> Callable[[ConnectorContract, ContractKit],
                                                             None]:
    def test(self: ConnectorContract, kit: ContractKit) -> None:
        _run(kit, check)

    return test


def _entity_test(check: type[EntityCheck]) -> Callable[[ConnectorContract, ContractKit, str],
                                                       None]:
    def test(self: ConnectorContract, kit: ContractKit, entity: str) -> None:
        _run(kit, check, entity)

    return test


def _add_tests(contract: type[ConnectorContract]) -> None:
    """One test method of ``contract`` per check, named by the check, in the checks' order."""
    for check in CHECK_CLASSES:
        if issubclass(check, EntityCheck):
            test: Callable[..., None] = _entity_test(check)
        elif issubclass(check, ConnectorCheck):
            test = _connector_test(check)
        else:
            raise TypeError(f"{check.__name__} is neither a ConnectorCheck nor an EntityCheck")
        test.__name__ = check.test
        test.__qualname__ = f"{contract.__name__}.{check.test}"
        test.__doc__ = check.__doc__
        setattr(contract, check.test, test)


_add_tests(ConnectorContract)
