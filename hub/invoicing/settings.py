"""The ``[invoicing]`` section: whose invoices go out, how, and by when.

::

    [invoicing]
    sources = ["books", "stripe"]   # whose invoices `invoices send --due` sends
    send_within_days = 3            # an invoice not sent this long after its date: a finding
    mailer = "mail"                 # e-mails the invoices of a system that cannot send (CSV)
    from_address = "billing@northwind.example"
    from_name = "Northwind Supplies, Billing"
    company = "Northwind Supplies"
    locale = "en_US"                # amounts and dates, unless the customer has its own
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from hub.collect.settings import checked_address
from hub.config.sections import Section
from hub.errors import ConfigError
from hub.invoicing.wording import checked_locale
from hub.reconcile.sending import SendingPolicy

if TYPE_CHECKING:
    from hub.config.file import HubConfig


class InvoicingSettings(Section):
    """Whose invoices the hub sends to customers, how, and the deadline for sending them."""

    table = "invoicing"

    sources: list[str] = Field(default_factory=list)
    """The connectors whose issued invoices ``invoices send --due`` sends, and whose
    unsent invoices are findings after ``send_within_days``."""
    send_within_days: int = Field(default=3, ge=0, le=365)
    mailer: str | None = None
    """An ``email`` connector with an ``smtp`` section: it e-mails, as a PDF, the invoices
    of a system that cannot send them itself (a CSV ledger)."""
    from_address: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    company: str = ""
    locale: str = "en_US"
    """How amounts and dates are written, for a customer without a ``locale`` of its own
    (``metadata.locale`` of the customer record)."""

    @field_validator("from_address", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else checked_address(value)

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        return checked_locale(value)

    @field_validator("from_name", "company")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and re.search(r"[\r\n]", value):
            raise ValueError("must be one line")
        return value

    def check(self, config: HubConfig) -> None:
        """The sources and the mailer are connectors of the file; a mailer needs a sender."""
        named = [(f"sources[{i}]", s) for i, s in enumerate(self.sources)]
        if self.mailer is not None:
            named.append(("mailer", self.mailer))
        for field, name in named:
            if name not in config.connectors:
                known = ", ".join(sorted(config.connectors)) or "none configured"
                raise ConfigError(f"no connector named {name!r} in the config (known: {known})",
                                  path=f"invoicing.{field}")
        if self.mailer is not None and self.from_address is None:
            raise ConfigError("an [invoicing] mailer needs a from_address to send from",
                              path="invoicing.from_address")


def sending_policy(config: HubConfig, today: date | None = None) -> SendingPolicy | None:
    """What the reconciler checks of invoices out (``invoice_not_sent``): ``[invoicing]``
    sources and deadline, as of ``today`` (default: today here); None without the table."""
    if not config.has_table("invoicing"):
        return None
    settings = InvoicingSettings.of(config)
    return SendingPolicy(tuple(settings.sources), settings.send_within_days,
                         today or datetime.now().astimezone().date())
