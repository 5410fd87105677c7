"""What ``billing-hub check`` asks of a connector: do its credentials and endpoint work?

A connector answers :meth:`hub.Connector.check` with a :class:`CheckResult`:
it signs in, reads one small page per entity (or the files' headers) and
writes nothing. A connector that does not override ``check`` answers
``unchecked``: the hub then says that the connector type cannot be checked,
which is not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CheckStatus(StrEnum):
    """How a check ended."""

    OK = "ok"
    FAILED = "failed"
    UNCHECKED = "not checkable"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A connector's answer to ``check``.

    ``detail`` says what was verified (``signed in, read 1 invoice``) or what is
    wrong (``Stripe refused the API key``); ``hint`` what to do next, for a failure.
    Neither ever holds a secret. A connector may also raise a
    :class:`hub.errors.HubError`: the hub reports it as a failure with its message
    and hint.
    """

    status: CheckStatus
    detail: str
    hint: str | None = None

    @classmethod
    def passed(cls, detail: str) -> CheckResult:
        return cls(CheckStatus.OK, detail)

    @classmethod
    def failed(cls, detail: str, hint: str | None = None) -> CheckResult:
        return cls(CheckStatus.FAILED, detail, hint)

    @classmethod
    def unchecked(cls, detail: str) -> CheckResult:
        return cls(CheckStatus.UNCHECKED, detail)
