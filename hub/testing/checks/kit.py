"""The checks in their order, and :class:`ContractKit`, which runs them without pytest."""

from __future__ import annotations

from collections.abc import Sequence

from hub.testing.checks.base import Check, ConnectorCheck, EntityCheck
from hub.testing.checks.context import CheckContext
from hub.testing.checks.disputes import DisputeRecordsCheck
from hub.testing.checks.payloads import MalformedPayloadCheck, RereadCheck
from hub.testing.checks.pulling import (
    CanonicalRecordsCheck,
    FullPullCheck,
    IncrementalCheck,
    ResumeCheck,
)
from hub.testing.checks.pushing import IdempotentPushCheck
from hub.testing.checks.registration import CapabilitiesCheck, RegistrationCheck
from hub.testing.checks.sending import SendOnceCheck
from hub.testing.checks.webhooks import (
    StaleWebhookCheck,
    WebhookReplayCheck,
    WebhookSignatureCheck,
)

__all__ = ["CHECKS", "CHECK_CLASSES", "ContractKit"]

CHECK_CLASSES: tuple[type[Check], ...] = (
    RegistrationCheck, CapabilitiesCheck,
    FullPullCheck, CanonicalRecordsCheck, ResumeCheck, IncrementalCheck,
    MalformedPayloadCheck, RereadCheck,
    IdempotentPushCheck,
    WebhookSignatureCheck, WebhookReplayCheck, StaleWebhookCheck,
    SendOnceCheck, DisputeRecordsCheck,
)
"""Every check of the contract, in the order they run as tests."""

CHECKS: Sequence[str] = tuple(f"check_{check.name}" for check in CHECK_CLASSES)
"""The :class:`ContractKit` method of each check, in the same order."""


class ContractKit(CheckContext):
    """Runs the contract's checks for one harness class in one working folder.

    :meth:`run` runs one check class; each ``check_<name>`` method runs the
    check of that name. Every connector it builds and the harness are closed
    by :meth:`close`.
    """

    def run(self, check: type[Check], entity: str | None = None) -> None:
        """Run one check: a connector check with no entity, an entity check on ``entity``.

        An entity check whose capability ``entity`` does not declare raises
        :class:`~hub.testing.checks.errors.CheckSkipped` before it runs.
        """
        if issubclass(check, EntityCheck):
            if entity is None:
                raise TypeError(f"{check.__name__} is checked per entity: name the entity")
            self.require(entity, check.requires)
            check(self).run(entity)
        elif issubclass(check, ConnectorCheck):
            if entity is not None:
                raise TypeError(f"{check.__name__} checks the whole connector, not an entity")
            check(self).run()
        else:
            raise TypeError(f"{check.__name__} is neither a ConnectorCheck nor an EntityCheck")

    def check_registration(self) -> None:
        """:class:`~hub.testing.checks.registration.RegistrationCheck`."""
        self.run(RegistrationCheck)

    def check_capabilities(self) -> None:
        """:class:`~hub.testing.checks.registration.CapabilitiesCheck`."""
        self.run(CapabilitiesCheck)

    def check_full_pull(self, entity: str) -> None:
        """:class:`~hub.testing.checks.pulling.FullPullCheck`."""
        self.run(FullPullCheck, entity)

    def check_canonical(self, entity: str) -> None:
        """:class:`~hub.testing.checks.pulling.CanonicalRecordsCheck`."""
        self.run(CanonicalRecordsCheck, entity)

    def check_resume(self, entity: str) -> None:
        """:class:`~hub.testing.checks.pulling.ResumeCheck`."""
        self.run(ResumeCheck, entity)

    def check_incremental(self, entity: str) -> None:
        """:class:`~hub.testing.checks.pulling.IncrementalCheck`."""
        self.run(IncrementalCheck, entity)

    def check_malformed(self, entity: str) -> None:
        """:class:`~hub.testing.checks.payloads.MalformedPayloadCheck`."""
        self.run(MalformedPayloadCheck, entity)

    def check_reread(self, entity: str) -> None:
        """:class:`~hub.testing.checks.payloads.RereadCheck`."""
        self.run(RereadCheck, entity)

    def check_push_idempotent(self, entity: str) -> None:
        """:class:`~hub.testing.checks.pushing.IdempotentPushCheck`."""
        self.run(IdempotentPushCheck, entity)

    def check_send_once(self, entity: str) -> None:
        """:class:`~hub.testing.checks.sending.SendOnceCheck`."""
        self.run(SendOnceCheck, entity)

    def check_disputes(self, entity: str) -> None:
        """:class:`~hub.testing.checks.disputes.DisputeRecordsCheck`."""
        self.run(DisputeRecordsCheck, entity)

    def check_webhook_signature(self, entity: str) -> None:
        """:class:`~hub.testing.checks.webhooks.WebhookSignatureCheck`."""
        self.run(WebhookSignatureCheck, entity)

    def check_webhook_replay(self, entity: str) -> None:
        """:class:`~hub.testing.checks.webhooks.WebhookReplayCheck`."""
        self.run(WebhookReplayCheck, entity)

    def check_webhook_stale(self, entity: str) -> None:
        """:class:`~hub.testing.checks.webhooks.StaleWebhookCheck`."""
        self.run(StaleWebhookCheck, entity)
