"""The connector contract as pytest tests: one line in a connector's test suite.

::

    from hub.testing import ConnectorContract

    class TestAcmeContract(ConnectorContract):
        harness = AcmeHarness          # your ConnectorHarness subclass

Every check of :mod:`hub.testing.checks` becomes a test of that class, the
per-entity ones once per entity (``test_full_pull_returns_every_record_once[invoice]``).
A check whose capability the connector does not declare is reported as
skipped with the reason; the ``billing_hub`` pytest plugin (installed with
billing-hub) sums the contract up at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from hub.testing.checks import CheckSkipped, ContractKit, ContractViolation
from hub.testing.harness import ConnectorHarness

__all__ = ["ConnectorContract", "ConnectorHarness", "ContractViolation"]

_NOT_FOUND = "(connector type not installed)"
_entities_cache: dict[type[ConnectorHarness], list[str]] = {}


def _entities(harness: type[ConnectorHarness], workdir: Path) -> list[str]:
    """The entities to parametrise with, read once per harness at collection."""
    if harness not in _entities_cache:
        kit = ContractKit(harness, workdir)
        try:
            _entities_cache[harness] = kit.entities()
        except ContractViolation:
            # Reported by test_registers_through_the_entry_point; the entity tests fail too.
            _entities_cache[harness] = [_NOT_FOUND]
    return _entities_cache[harness]


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

    @staticmethod
    def _run(check: Callable[[], None]) -> None:
        try:
            check()
        except CheckSkipped as skipped:
            pytest.skip(skipped.reason)

    def test_registers_through_the_entry_point(self, kit: ContractKit) -> None:
        self._run(kit.check_registration)

    def test_declares_its_capabilities_truthfully(self, kit: ContractKit) -> None:
        self._run(kit.check_capabilities)

    def test_full_pull_returns_every_record_once(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_full_pull(entity))

    def test_records_are_canonical(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_canonical(entity))

    def test_pull_resumes_from_every_cursor(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_resume(entity))

    def test_incremental_pull_returns_the_change(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_incremental(entity))

    def test_malformed_payload_is_rejected_readably(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_malformed(entity))

    def test_stored_payload_maps_again(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_reread(entity))

    def test_push_twice_with_one_key_creates_one_record(
        self, kit: ContractKit, entity: str
    ) -> None:
        self._run(lambda: kit.check_push_idempotent(entity))

    def test_webhook_rejects_a_bad_signature(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_webhook_signature(entity))

    def test_webhook_rejects_a_replay(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_webhook_replay(entity))

    def test_webhook_rejects_a_stale_delivery(self, kit: ContractKit, entity: str) -> None:
        self._run(lambda: kit.check_webhook_stale(entity))
