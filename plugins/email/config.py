"""The email connector's TOML section.

::

    [connectors.mail]
    type = "email"

    [connectors.mail.imap]                  # remittance advice in
    host = "imap.example.com"
    port = 993
    tls = "ssl"                             # or "starttls"; "none" only for a local server
    username = "ar@example.com"
    password = "env:MAIL_PASSWORD"
    folder = "Remittances"
    # trusted_senders = ["@bigco.com", "ap@acme.example"]   # default: anyone
    # mark_seen = false                     # never touches the mailbox unless set

    [connectors.mail.parsing]               # how remittance wording is read
    date_order = "month-first"              # or "day-first" (20/11/2026)
    # default_currency = "USD"              # for amounts written without one
    # invoice_pattern = "(?:INV-)?\\d{3,}"  # what an invoice number looks like

    [connectors.mail.smtp]                  # payment reminders out (`billing-hub collect`)
    host = "smtp.example.com"
    port = 587
    tls = "starttls"
    username = "ar@example.com"
    password = "env:MAIL_PASSWORD"

A ``tls = "none"`` server is refused unless it is on this machine (127.0.0.1,
::1, localhost): passwords never cross a network in clear text.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub import CurrencyCode, SecretRef

TlsMode = Literal["ssl", "starttls", "none"]
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class _Server(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)
    port: int | None = Field(None, ge=1, le=65535)
    tls: TlsMode = "ssl"
    username: str | None = None
    password: SecretRef | None = None
    timeout_seconds: float = Field(60.0, gt=0)
    ca_file: str | None = None
    """A CA bundle to trust instead of the system's (a company's own CA)."""

    @model_validator(mode="after")
    def _tls_outside_only(self) -> _Server:
        if self.tls == "none" and self.host.strip().lower() not in _LOOPBACK:
            raise ValueError(
                f'tls = "none" sends the password in clear text; it is only allowed for a '
                f'server on this machine, not {self.host!r}: use "ssl" or "starttls"')
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        return self


class ImapSettings(_Server):
    """Where remittance advice arrives, and what the connector may do there."""

    username: str = Field(min_length=1)
    password: SecretRef
    folder: str = "INBOX"
    trusted_senders: list[str] = Field(default_factory=list)
    """Addresses (``ap@bigco.com``) or domains (``@bigco.com``) whose mail is read;
    empty: every sender's. Mail from anyone else is skipped (and logged), not
    quarantined. The From header can be forged: this keeps noise out, it is not
    authentication."""
    mark_seen: bool = False
    """Flag each message read as \\Seen. By default the mailbox is only read (EXAMINE)."""
    page_size: int = Field(50, ge=1, le=1000)
    """Messages fetched and committed together."""
    max_message_bytes: int = Field(20_000_000, ge=1024)
    """Larger messages are not downloaded: they are quarantined with their headers."""

    def port_or_default(self) -> int:
        return self.port or {"ssl": 993, "starttls": 143, "none": 143}[self.tls]


class SmtpSettings(_Server):
    """The server that sends payment reminders."""

    max_attempts: int = Field(5, ge=1, le=20)
    """Tries per reminder when the server answers 4xx or the connection fails before
    the message was handed over."""
    retry_wait_seconds: float = Field(2.0, ge=0)
    """First wait between tries; it doubles, up to a minute."""

    def port_or_default(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.tls]


class ParsingRules(BaseModel):
    """How the text of a remittance is read. The defaults know common English wording.

    Each ``*_pattern`` is a regular expression with the named group the field
    needs; it is tried before the built-in wording, so a company's own format
    can be taught without code.
    """

    model_config = ConfigDict(extra="forbid")

    date_order: Literal["day-first", "month-first"] = "month-first"
    """How to read 03/04/2026 (ISO dates and month names are never ambiguous)."""
    decimal: Literal["auto", ".", ","] = "auto"
    """``auto``: in 1.250,00 and 1,250.00 the last separator is the decimal one; a
    lone separator after one to three digits and followed by three (1,250) groups
    thousands, except in a currency with three decimals (KWD 1.250), where such mail
    is quarantined; 1250.500 is a decimal number."""
    default_currency: CurrencyCode | None = None
    """For amounts written without a currency or with ``$`` alone; else such mail is
    quarantined."""
    dollar_currency: CurrencyCode = "USD"
    """What ``$`` means."""
    invoice_pattern: str = r"#?(?:[A-Z]{1,5}[-/]?)?\d[\dA-Z\-/]*"
    """One invoice number, as it appears after the word invoice (``1001``, ``INV-1001``)."""
    amount_pattern: str | None = None
    """Overrides how the amount is found: needs a group ``(?P<amount>...)``, may have
    ``(?P<currency>...)``."""
    reference_pattern: str | None = None
    """Overrides how the payment reference is found: a group ``(?P<reference>...)``."""
    date_pattern: str | None = None
    """Overrides how the payment date is found: a group ``(?P<date>...)``."""
    invoices_pattern: str | None = None
    """Overrides how the invoices paid are found: a group ``(?P<invoices>...)`` holding a
    list of numbers, each matching ``invoice_pattern``."""

    @field_validator("invoice_pattern", "amount_pattern", "reference_pattern", "date_pattern",
                     "invoices_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _groups(self) -> ParsingRules:
        needed = {"amount_pattern": "amount", "reference_pattern": "reference",
                  "date_pattern": "date", "invoices_pattern": "invoices"}
        for name, group in needed.items():
            value = getattr(self, name)
            if value is not None and group not in re.compile(value).groupindex:
                raise ValueError(f"{name} needs a named group (?P<{group}>...)")
        return self


class EmailConfig(BaseModel):
    """One mailbox: remittance advice read over IMAP, reminders sent over SMTP."""

    model_config = ConfigDict(extra="forbid")

    imap: ImapSettings
    smtp: SmtpSettings | None = None
    """Needed only to send reminders (``[collections] mailer`` names this connector)."""
    parsing: ParsingRules = Field(default_factory=ParsingRules)
