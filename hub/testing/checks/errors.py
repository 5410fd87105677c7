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

# A failed check shows as hub.testing.checks.ContractViolation, as it did before the
# checks became a package; both names are importable from there.
_PUBLIC_MODULE = "hub.testing.checks"


class ContractViolation(AssertionError):
    """The connector breaks the contract; the message says how and what to change."""

    __module__ = _PUBLIC_MODULE


class CheckSkipped(Exception):
    """The check does not apply to this connector; ``reason`` says why."""

    __module__ = _PUBLIC_MODULE

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
