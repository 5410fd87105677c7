"""The contract's checks, runnable without pytest: one small class per rule.

Each check is a class with a name, what it needs and one ``run`` method
(:mod:`~hub.testing.checks.base`); it runs against a shared
:class:`~hub.testing.checks.context.CheckContext`, which builds the connector
the way the hub does (the ``billing_hub`` entry point, the spec's config
model, its factory) against the fake system of a
:class:`~hub.testing.harness.ConnectorHarness`. A check either returns (the
connector keeps that part of the contract), raises
:class:`ContractViolation` saying what is wrong and what to do, or raises
:class:`CheckSkipped` with the reason the check does not apply (a capability
the connector does not declare).

- :mod:`~hub.testing.checks.registration`: :class:`RegistrationCheck`,
  :class:`CapabilitiesCheck`;
- :mod:`~hub.testing.checks.pulling`: :class:`FullPullCheck`,
  :class:`CanonicalRecordsCheck`, :class:`ResumeCheck`, :class:`IncrementalCheck`;
- :mod:`~hub.testing.checks.payloads`: :class:`MalformedPayloadCheck`,
  :class:`RereadCheck`;
- :mod:`~hub.testing.checks.pushing`: :class:`IdempotentPushCheck`;
- :mod:`~hub.testing.checks.sending`: :class:`SendOnceCheck`;
- :mod:`~hub.testing.checks.disputes`: :class:`DisputeRecordsCheck`;
- :mod:`~hub.testing.checks.webhooks`: :class:`WebhookSignatureCheck`,
  :class:`WebhookReplayCheck`, :class:`StaleWebhookCheck`.

:class:`ContractKit` runs them (``kit.run(FullPullCheck, "invoice")``, or
``kit.check_full_pull("invoice")``); :data:`CHECK_CLASSES` lists them in
order. :mod:`hub.testing.contract` runs them as pytest tests.
"""

from __future__ import annotations

from hub.testing.checks.base import Capability, Check, ConnectorCheck, EntityCheck
from hub.testing.checks.context import INSTANCE, MAX_PAGES, SEEDED, CheckContext
from hub.testing.checks.disputes import DisputeRecordsCheck
from hub.testing.checks.errors import CheckSkipped, ContractViolation
from hub.testing.checks.kit import CHECK_CLASSES, CHECKS, ContractKit
from hub.testing.checks.payloads import MalformedPayloadCheck, RereadCheck, unreadable
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
    STALE,
    StaleWebhookCheck,
    WebhookCheck,
    WebhookReplayCheck,
    WebhookSignatureCheck,
)

__all__ = [
    "CHECKS",
    "CHECK_CLASSES",
    "INSTANCE",
    "MAX_PAGES",
    "SEEDED",
    "STALE",
    "CanonicalRecordsCheck",
    "CapabilitiesCheck",
    "Capability",
    "Check",
    "CheckContext",
    "CheckSkipped",
    "ConnectorCheck",
    "ContractKit",
    "ContractViolation",
    "DisputeRecordsCheck",
    "EntityCheck",
    "FullPullCheck",
    "IdempotentPushCheck",
    "IncrementalCheck",
    "MalformedPayloadCheck",
    "RegistrationCheck",
    "RereadCheck",
    "ResumeCheck",
    "SendOnceCheck",
    "StaleWebhookCheck",
    "WebhookCheck",
    "WebhookReplayCheck",
    "WebhookSignatureCheck",
    "unreadable",
]
