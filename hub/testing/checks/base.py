"""What a check is: a small class with a name, what it needs, and one method that runs it.

Every rule of the connector contract is one subclass of
:class:`ConnectorCheck` (run once for the connector) or :class:`EntityCheck`
(run once per entity, and only where the entity declares the capability the
check :attr:`~EntityCheck.requires`). A check's docstring is the rule as the
contract states it. The check runs against a
:class:`~hub.testing.checks.context.CheckContext`: it returns when the
connector keeps the rule, raises
:class:`~hub.testing.checks.errors.ContractViolation` saying what is wrong
and what to change, or :class:`~hub.testing.checks.errors.CheckSkipped`
with the reason it does not apply.

:meth:`hub.testing.checks.kit.ContractKit.run` runs one check (it is where
an undeclared capability becomes a skip); :mod:`hub.testing.contract` makes
one pytest test of each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal

from hub.testing.checks.context import CheckContext

__all__ = ["Capability", "Check", "ConnectorCheck", "EntityCheck"]

Capability = Literal["pull", "push", "incremental", "webhook", "apply_payments", "send"]
"""A capability an entity declares (a flag of ``EntitySupport``)."""


class Check(ABC):
    """One rule of the connector contract, checked against a :class:`CheckContext`."""

    name: ClassVar[str]
    """Its short name: ``ContractKit.check_<name>`` runs it without pytest."""

    test: ClassVar[str]
    """The name of the pytest test :class:`~hub.testing.contract.ConnectorContract` makes of it
    (its id, with ``[entity]`` for an entity check; keep it stable, people select by it)."""

    def __init__(self, context: CheckContext) -> None:
        self.context = context


class ConnectorCheck(Check):
    """A rule about the connector as a whole (its plugin, its spec, its class), checked once."""

    @abstractmethod
    def run(self) -> None:
        """Return if the connector keeps the rule; raise ``ContractViolation`` if not."""


class EntityCheck(Check):
    """A rule about one entity, checked for each entity the harness checks.

    The runner skips it, before :meth:`run`, for an entity that does not
    declare :attr:`requires`.
    """

    requires: ClassVar[Capability]
    """The capability the entity must declare for the check to apply."""

    @abstractmethod
    def run(self, entity: str) -> None:
        """Return if the connector keeps the rule for ``entity``; raise ``ContractViolation``
        if not, or ``CheckSkipped`` for a reason beyond :attr:`requires`."""
