"""The ``[collections]`` section: when overdue invoices are reminded, and with what.

::

    [collections]
    source = "books"                      # whose invoices are dunned
    mailer = "mail"                       # the email connector that sends ([connectors.mail.smtp])
    from_address = "ar@northwind.example"
    from_name = "Northwind Supplies, Accounts Receivable"
    reply_to = "ar@northwind.example"
    company = "Northwind Supplies"
    stages = [
      { days_overdue = 7, template = "friendly" },
      { days_overdue = 30, template = "firm" },
    ]

    [collections.templates.firm]          # replaces the built-in "firm"
    subject = "Invoice {invoice_number}: {amount_due} overdue"
    body = \"\"\"Dear {customer_name}, ...\"\"\"

Templates are plain text with ``{placeholder}`` fields (:data:`PLACEHOLDERS`);
nothing else in them is interpreted. Values are neutralised before they are
put in: control characters and line breaks become spaces, and each value is
cut at 200 characters, so a customer name cannot add a header or a paragraph.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.collect.reply_settings import ReplySettings
from hub.config import HubConfig, Section
from hub.errors import ConfigError

PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the customer's name",
    "invoice_number": "the invoice's number",
    "amount_due": "the balance with its currency (USD 1,250.00)",
    "total": "the invoice's total with its currency",
    "currency": "the invoice's currency code",
    "due_date": "the due date (2026-11-20)",
    "issue_date": "the issue date",
    "days_overdue": "days since the due date",
    "company": "[collections] company",
    "reply_to": "the reply-to address (else the from address)",
}
_FIELD = re.compile(r"\{(\w*)\}")
_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


class Template(BaseModel):
    """A reminder's subject and plain-text body, with ``{placeholder}`` fields."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)

    @field_validator("subject", "body")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        for name in _FIELD.findall(value):
            if name not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{name}}}; known: "
                                 + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
        return value


DEFAULT_TEMPLATES: dict[str, Template] = {
    "friendly": Template(
        subject="Friendly reminder: invoice {invoice_number} is overdue",
        body=("Dear {customer_name},\n\n"
              "our records show that invoice {invoice_number}, due on {due_date}, still has "
              "{amount_due} open. If you have already paid, thank you, and please ignore this "
              "message; otherwise we would be grateful for your payment.\n\n"
              "Questions about the invoice? Just reply to this message.\n\n"
              "Kind regards,\n{company}\n")),
    "firm": Template(
        subject="Second reminder: invoice {invoice_number}, {amount_due} overdue",
        body=("Dear {customer_name},\n\n"
              "invoice {invoice_number} was due on {due_date} and is now {days_overdue} days "
              "overdue, with {amount_due} still open. Please arrange payment within the next "
              "seven days, or reply to let us know when we can expect it.\n\n"
              "Regards,\n{company}\n")),
    "final": Template(
        subject="Final notice: invoice {invoice_number}, {amount_due} overdue",
        body=("Dear {customer_name},\n\n"
              "despite our earlier reminders, invoice {invoice_number} (due {due_date}) is "
              "{days_overdue} days overdue with {amount_due} open. Unless we receive payment or "
              "hear from you within seven days, we will have to pass the matter on.\n\n"
              "{company}\n")),
}


class Stage(BaseModel):
    """A reminder sent once an invoice is ``days_overdue`` days past its due date."""

    model_config = ConfigDict(extra="forbid")

    days_overdue: int = Field(ge=0, le=3650)
    template: str = Field(min_length=1)


def checked_address(value: str) -> str:
    """``value`` stripped, or a ValueError if it is not one plain address."""
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError(f"{value!r} is not an e-mail address (name@example.com)")
    return value


def _address(value: str | None) -> str | None:
    return None if value is None else checked_address(value)


class CollectionSettings(Section):
    """Which invoices get reminders, when, from whom and in which words."""

    table = "collections"

    source: str = Field(min_length=1)
    """The connector whose invoices are reminded (the ledger: ``books``)."""
    mailer: str = Field(min_length=1)
    """The connector that sends them (an ``email`` connector with an ``smtp`` section)."""
    from_address: str
    from_name: str | None = None
    reply_to: str | None = None
    company: str = ""
    stages: list[Stage] = Field(min_length=1)
    templates: dict[str, Template] = Field(default_factory=dict)
    """Templates by name; the built-in ``friendly``, ``firm`` and ``final`` unless replaced."""
    replies: ReplySettings = Field(default_factory=ReplySettings)
    """How customers' replies hold reminders (issue 19; :mod:`hub.collect.replies`)."""

    def check(self, config: HubConfig) -> None:
        """The source and the mailer are connectors of the file."""
        for field, name in (("source", self.source), ("mailer", self.mailer)):
            if name not in config.connectors:
                known = ", ".join(sorted(config.connectors)) or "none configured"
                raise ConfigError(f"no connector named {name!r} in the config (known: {known})",
                                  path=f"collections.{field}")

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str) -> str:
        checked = _address(value)
        assert checked is not None
        return checked

    @field_validator("reply_to")
    @classmethod
    def _reply(cls, value: str | None) -> str | None:
        return _address(value)

    @field_validator("from_name", "company")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and re.search(r"[\r\n]", value):
            raise ValueError("must be one line")
        return value

    @model_validator(mode="after")
    def _stages_fit(self) -> CollectionSettings:
        days = [s.days_overdue for s in self.stages]
        if len(set(days)) != len(days):
            raise ValueError("two stages have the same days_overdue")
        if days != sorted(days):
            raise ValueError("list the stages from the fewest days_overdue to the most")
        for i, stage in enumerate(self.stages):
            if stage.template not in self.all_templates():
                known = ", ".join(sorted(self.all_templates()))
                raise ValueError(f"stages[{i}]: no template named {stage.template!r} "
                                 f"(known: {known})")
        return self

    def all_templates(self) -> dict[str, Template]:
        return {**DEFAULT_TEMPLATES, **self.templates}

    def stage_for(self, days_overdue: int) -> Stage | None:
        """The latest stage an invoice ``days_overdue`` days overdue has reached."""
        reached = [s for s in self.stages if s.days_overdue <= days_overdue]
        return reached[-1] if reached else None


def neutral(value: object) -> str:
    """A value as it may stand in a reminder: one line, no control characters, bounded."""
    text = "".join(" " if (ord(c) < 32 or 0x7f <= ord(c) < 0xa0 or c in "\u2028\u2029")
                   else c for c in str(value))
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


def render(template: str, values: dict[str, object]) -> str:
    """``template`` with each ``{placeholder}`` replaced by its neutralised value."""
    return _FIELD.sub(lambda m: neutral(values.get(m.group(1), "")), template)
