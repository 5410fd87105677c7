"""billing-hub's public face: everything a plugin may import, and nothing else.

A connector plugin, a rule plugin or any other extension imports from here
only (``from hub import ConnectorSpec, FindingRuleSpec, Invoice, hookimpl``), plus the
connector contract test kit from :mod:`hub.testing` in its tests. Everything
else under ``hub`` is the hub's own and may change in any release; CI checks
that the built-in plugins keep to this list (import-linter contracts in
pyproject.toml). ``docs/connectors.md`` documents each name.

The names are loaded when first used, so ``import hub`` costs nearly nothing
and a command that needs no model never builds one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_names

if TYPE_CHECKING:
    from hub.connectors.calls import ApiCaller, Backoff, Classifier, GaveUp, Retry
    from hub.connectors.paging import ApiPage, paginate
    from hub.connectors.replay import MemoryReplayGuard, body_digest
    from hub.connectors.throttle import Throttle
    from hub.contract.checking import CheckResult, CheckStatus
    from hub.contract.connector import (
        Connector,
        ConnectorContext,
        ConnectorSpec,
        CredentialVault,
        EntitySupport,
        explain_invalid,
    )
    from hub.contract.cursor import Cursor
    from hub.contract.demo import DemoService
    from hub.contract.hookspecs import hookimpl
    from hub.contract.mail import MailAttachment, Mailer, OutgoingMail
    from hub.contract.names import record_name
    from hub.contract.outcomes import EntityCounts, RunSummary
    from hub.contract.page import Page, StatedTotals
    from hub.contract.pushing import (
        CashApplication,
        FieldChange,
        FieldOutcome,
        PushChange,
        PushOperation,
        PushResult,
        PushStatus,
        idempotency_key,
    )
    from hub.contract.rows import Application, CustomerRow, InvoiceRow, PaymentRow
    from hub.contract.rules import (
        CustomerIndex,
        Finding,
        FindingRule,
        FindingRuleSpec,
        InvoiceRows,
        MatchRule,
        MatchRuleSpec,
        OpenInvoices,
        PayerInvoices,
        PaymentRows,
        RuleContext,
        Severity,
        Suggestion,
    )
    from hub.contract.sending import (
        InvoiceDelivery,
        SendReceipt,
        SendStatus,
        send_key,
    )
    from hub.contract.webhooks import ChangeHint, ReplayGuard, WebhookDelivery, WebhookReceipt
    from hub.errors import (
        ConfigError,
        ConnectorError,
        CurrencyError,
        DeliveryUnknown,
        FatalError,
        HubError,
        MessageRefused,
        PluginError,
        RecordRejected,
        StoreError,
        TransientError,
        WebhookSignatureError,
    )
    from hub.models import (
        ENTITY_MODELS,
        BankTransaction,
        CanonicalRecord,
        CreditNote,
        Customer,
        Dispute,
        DisputeStatus,
        Instalment,
        Invoice,
        InvoiceLine,
        InvoiceStatus,
        Payment,
        PaymentApplication,
        PaymentPlan,
        Payout,
        PayoutTransaction,
        PlanState,
        Promise,
        Refund,
        Reply,
        ReplyKind,
        Settlement,
    )
    from hub.money import (
        CurrencyCode,
        currency_exponent,
        fits_currency,
        from_minor_units,
        is_currency,
        normalize_currency,
        quantize,
        to_minor_units,
    )
    from hub.secrets import SecretRef, redact, treat_as_secret

_FROM: dict[str, tuple[str, ...]] = {
    "hub.contract.hookspecs": ("hookimpl",),
    "hub.contract.names": ("record_name",),
    "hub.contract.connector": (
        "Connector", "ConnectorContext", "ConnectorSpec", "CredentialVault", "EntitySupport",
        "explain_invalid",
    ),
    "hub.contract.pushing": (
        "CashApplication", "FieldChange", "FieldOutcome", "PushChange", "PushOperation",
        "PushResult", "PushStatus", "idempotency_key",
    ),
    "hub.contract.webhooks": ("ChangeHint", "ReplayGuard", "WebhookDelivery", "WebhookReceipt"),
    "hub.contract.checking": ("CheckResult", "CheckStatus"),
    "hub.contract.cursor": ("Cursor",),
    "hub.contract.page": ("Page", "StatedTotals"),
    "hub.contract.demo": ("DemoService",),
    "hub.contract.mail": ("MailAttachment", "Mailer", "OutgoingMail"),
    "hub.contract.sending": ("InvoiceDelivery", "SendReceipt", "SendStatus", "send_key"),
    "hub.contract.outcomes": ("EntityCounts", "RunSummary"),
    "hub.contract.rows": ("Application", "CustomerRow", "InvoiceRow", "PaymentRow"),
    "hub.contract.rules": (
        "CustomerIndex", "Finding", "FindingRule", "FindingRuleSpec", "InvoiceRows", "MatchRule",
        "MatchRuleSpec", "OpenInvoices", "PayerInvoices", "PaymentRows", "RuleContext",
        "Severity", "Suggestion",
    ),
    "hub.models": (
        "ENTITY_MODELS", "BankTransaction", "CanonicalRecord", "CreditNote",
        "Customer", "Invoice", "InvoiceLine", "InvoiceStatus", "Payment", "PaymentApplication",
        "Payout", "PayoutTransaction", "Refund", "Dispute", "DisputeStatus", "Promise", "Reply",
        "ReplyKind", "Settlement", "Instalment", "PaymentPlan", "PlanState",
    ),
    "hub.money": (
        "CurrencyCode", "currency_exponent", "fits_currency", "from_minor_units", "is_currency",
        "normalize_currency", "quantize", "to_minor_units",
    ),
    "hub.errors": (
        "HubError", "ConfigError", "PluginError", "StoreError", "CurrencyError", "RecordRejected",
        "ConnectorError", "TransientError", "FatalError", "MessageRefused", "DeliveryUnknown",
        "WebhookSignatureError",
    ),
    "hub.secrets": ("SecretRef", "redact", "treat_as_secret"),
    "hub.connectors.throttle": ("Throttle",),
    "hub.connectors.calls": ("ApiCaller", "Backoff", "Classifier", "GaveUp", "Retry"),
    "hub.connectors.paging": ("ApiPage", "paginate"),
    "hub.connectors.replay": ("MemoryReplayGuard", "body_digest"),
}

__all__ = [
    "ENTITY_MODELS",
    "ApiCaller",
    "ApiPage",
    "Application",
    "Backoff",
    "BankTransaction",
    "CanonicalRecord",
    "CashApplication",
    "ChangeHint",
    "CheckResult",
    "CheckStatus",
    "Classifier",
    "ConfigError",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorSpec",
    "CredentialVault",
    "CreditNote",
    "CurrencyCode",
    "CurrencyError",
    "Cursor",
    "Customer",
    "CustomerIndex",
    "CustomerRow",
    "DeliveryUnknown",
    "DemoService",
    "Dispute",
    "DisputeStatus",
    "EntityCounts",
    "EntitySupport",
    "FatalError",
    "FieldChange",
    "FieldOutcome",
    "Finding",
    "FindingRule",
    "FindingRuleSpec",
    "GaveUp",
    "HubError",
    "Instalment",
    "Invoice",
    "InvoiceDelivery",
    "InvoiceLine",
    "InvoiceRow",
    "InvoiceRows",
    "InvoiceStatus",
    "MailAttachment",
    "Mailer",
    "MatchRule",
    "MatchRuleSpec",
    "MemoryReplayGuard",
    "MessageRefused",
    "OpenInvoices",
    "OutgoingMail",
    "Page",
    "PayerInvoices",
    "Payment",
    "PaymentApplication",
    "PaymentPlan",
    "PaymentRow",
    "PaymentRows",
    "Payout",
    "PayoutTransaction",
    "PlanState",
    "PluginError",
    "Promise",
    "PushChange",
    "PushOperation",
    "PushResult",
    "PushStatus",
    "RecordRejected",
    "Refund",
    "ReplayGuard",
    "Reply",
    "ReplyKind",
    "Retry",
    "RuleContext",
    "RunSummary",
    "SecretRef",
    "SendReceipt",
    "SendStatus",
    "Settlement",
    "Severity",
    "StatedTotals",
    "StoreError",
    "Suggestion",
    "Throttle",
    "TransientError",
    "WebhookDelivery",
    "WebhookReceipt",
    "WebhookSignatureError",
    "body_digest",
    "currency_exponent",
    "explain_invalid",
    "fits_currency",
    "from_minor_units",
    "hookimpl",
    "idempotency_key",
    "is_currency",
    "normalize_currency",
    "paginate",
    "quantize",
    "record_name",
    "redact",
    "send_key",
    "to_minor_units",
    "treat_as_secret",
]

__getattr__, __dir__ = lazy_names("hub", globals(), _FROM)
