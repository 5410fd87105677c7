"""Every exception billing-hub raises on purpose, in one tree.

Catch ``HubError`` to catch them all. Each message is written for the person
running the hub: it says what went wrong and, where there is one, what to do
next (``hint``); ``message`` is the text without the hint. Secrets never
appear in a message (``hub.secrets`` redacts them).

    HubError
    ├── ConfigError            the TOML file or a value in it is wrong
    ├── PluginError            a plugin failed to load or answered nonsense
    ├── StoreError             the database is unreachable or not migrated
    ├── CurrencyError          an unknown currency or two that must not mix
    ├── RecordRejected         one record failed validation (quarantined)
    └── ConnectorError         a connector could not do its work
        ├── TransientError     worth retrying (timeouts, 429, 5xx)
        │     StripeUnavailable, QuickBooksUnavailable (the tries ran out)
        ├── FatalError         retrying will not help (bad credentials, 4xx)
        │     StripeRefused, QuickBooksRefused > SignInRefused
        ├── MessageRefused     a mail server refused one message for good (5xx)
        ├── DeliveryUnknown    a message was handed over, the answer never came
        └── WebhookSignatureError  a webhook delivery failed verification

The hub acts on these by type, never by reading the text: the outbox keeps
the changes queued after a ``TransientError`` and stops its run on a
``FatalError``; the scheduler tries a failed job again before its next time
only after a ``TransientError`` (or an unreachable store); the CLI shows a
``HubError`` as its message and hint, anything else as a bug. A connector's own
errors subclass ``TransientError`` or ``FatalError`` (the plugins' classes
above live in ``plugins/stripe/api.py`` and ``plugins/quickbooks/api.py``),
so they are acted on the same way; :class:`hub.ApiCaller` raises the
connector's ``TransientError`` when a request's tries run out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class HubError(Exception):
    """Base class of every error billing-hub raises deliberately.

    ``message`` is what went wrong, ``hint`` (or ``None``) what to do about it;
    ``str(exc)`` is both, the hint on a line of its own. Code that wants the
    message alone (a one-line reason to store, a reply to a stranger) reads
    ``message``, never the first line of ``str(exc)``.
    """

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        """The message without the hint (with the prefix a subclass gives it, if any)."""
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  -> {self.hint}" if self.hint else text


class ConfigError(HubError):
    """The configuration file is missing, unreadable or has a bad value.

    ``path`` is the dotted path of the offending value in the TOML file
    (``connectors.bank.files[0].encoding``) when one is known; ``file`` is the
    configuration file it is in, when one is known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        hint: str | None = None,
        file: str | None = None,
    ) -> None:
        self.path = path
        self.file = file
        prefix = f"{path}: " if path else ""
        super().__init__(prefix + message, hint=hint)


class PluginError(HubError):
    """A plugin could not be imported or registered something invalid."""


class StoreError(HubError):
    """The store cannot be opened, or its schema is not at the expected version."""


class CurrencyError(HubError, ValueError):
    """An unknown currency code, or amounts in two currencies combined."""


class ConnectorError(HubError):
    """A connector failed to talk to its system."""

    def __init__(self, message: str, *, connector: str | None = None, hint: str | None = None):
        self.connector = connector
        prefix = f"[{connector}] " if connector else ""
        super().__init__(prefix + message, hint=hint)


class TransientError(ConnectorError):
    """A failure that may go away when retried (throttling, timeouts, 5xx)."""

    def __init__(
        self,
        message: str,
        *,
        connector: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, connector=connector, hint=hint)


class FatalError(ConnectorError):
    """A failure that retrying cannot fix (bad credentials, a rejected request)."""


class MessageRefused(ConnectorError):
    """A mail server refused one message for good (a 5xx answer: no such mailbox,
    policy). Other messages may still go; this one needs a person."""


class DeliveryUnknown(ConnectorError):
    """A message was handed to a mail server and the connection failed before it said
    whether it accepted it. SMTP has no idempotency: sending it again may deliver it
    twice, so a person decides."""


class WebhookSignatureError(ConnectorError):
    """A webhook delivery whose signature, timestamp or id did not verify."""


class RecordRejected(HubError):
    """One incoming record that cannot become a canonical record.

    Carries the raw content exactly as the source gave it, where it came from
    (``location``: a file and line, an API object id) and a reason a
    coordinator can read. The sync engine quarantines it and goes on.
    """

    def __init__(
        self,
        reason: str,
        *,
        raw: Mapping[str, Any] | str,
        location: str = "",
        entity: str = "",
        external_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        self.reason = reason
        self.external_id = external_id
        self.raw = raw
        self.location = location
        self.entity = entity
        self.details = details or []
        where = f"{location}: " if location else ""
        super().__init__(where + reason)
