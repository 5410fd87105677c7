"""How a check ends when it does not simply return.

A check that returns has found the connector keeping its part of the
contract. Otherwise it raises one of these two: the contract is broken
(:class:`ContractViolation`, an ``AssertionError``, so pytest reports it as a
failed assertion), or the check does not apply to this connector
(:class:`CheckSkipped`, which :class:`~hub.testing.contract.ConnectorContract`
turns into a pytest skip with the same reason).
"""

from __future__ import annotations

__all__ = ["CheckSkipped", "ContractViolation"]


class ContractViolation(AssertionError):
    """The connector breaks the contract; the message says how and what to change."""


class CheckSkipped(Exception):
    """The check does not apply to this connector; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
