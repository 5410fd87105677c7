"""The ``[collections]`` section: when overdue invoices are reminded, and with what.

::

    [collections]
    source = "books"                      # whose invoices are dunned
    mailer = "mail"                       # the email connector that sends ([connectors.mail.smtp])
    from_address = "ar@northwind.example"
    from_name = "Northwind Supplies, Accounts Receivable"
    reply_to = "ar@northwind.example"
    company = "Northwind Supplies"
    time_zone = "America/New_York"        # the company's; customers without one of their own
    country = "US"                        # the company's; its holidays when holidays_off
    contact_hours = { start = "08:00", end = "21:00" }   # customer's time; never wider
    max_contacts = 7                      # per customer in contact_window_days; never more
    contact_window_days = 7               # never fewer
    weekends_off = false                  # true: nothing on Saturday or Sunday, customer's time
    holidays_off = false                  # true: nothing on a public holiday of the customer's
                                          # country (else `country`)
    plan_grace_days = 3                   # a payment plan instalment is missed this long after
    plan_broken_after = 2                 # missed instalments that break a plan
    stages = [                            # the default
      { days_overdue = 7, template = "friendly" },
      { days_overdue = 30, template = "firm" },
      { days_overdue = 45, action = "call" },      # a task for a person: call the customer
      { days_overdue = 60, action = "escalate" },  # a task for a person: escalate
    ]

    [collections.templates.firm]          # replaces the built-in "firm"
    subject = "Invoice {invoice_number}: {amount_due} overdue"
    body = \"\"\"Dear {customer_name}, ...\"\"\"

A customer's time zone is its record's ``time_zone`` metadata (an IANA name),
else every zone of its record's ``country`` metadata (ISO 3166 code: a
reminder goes only when the hour is inside the contact hours in each of them),
else the company's ``time_zone``. Every reminder ends with an opt-out line
naming the reply-to address (:func:`opt_out_line`).

Templates are plain text with ``{placeholder}`` fields (:data:`PLACEHOLDERS`);
nothing else in them is interpreted. Values are neutralised before they are
put in: control characters and line breaks become spaces, and each value is
cut at 200 characters, so a customer name cannot add a header or a paragraph.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


Action = Literal["email", "call", "escalate"]
EMAIL: Action = "email"
CALL: Action = "call"
ESCALATE: Action = "escalate"
TASKS = (CALL, ESCALATE)
"""Stage actions that are a task for a person, not a message: stored with the action as
their template, with status ``task``."""
EARLIEST, LATEST = time(8, 0), time(21, 0)
MAX_CONTACTS, MIN_WINDOW_DAYS = 7, 7


class Stage(BaseModel):
    """What happens once an invoice is ``days_overdue`` days past its due date: a reminder
    (``action = "email"``, with its template), or a task for a person (``call``,
    ``escalate``)."""

    model_config = ConfigDict(extra="forbid")

    days_overdue: int = Field(ge=0, le=3650)
    action: Action = EMAIL
    template: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _template_fits(self) -> Stage:
        if self.action == EMAIL and self.template is None:
            raise ValueError("an email stage needs template = \"NAME\"")
        if self.action != EMAIL and self.template is not None:
            raise ValueError(f"a {self.action} stage is a task for a person and takes no "
                             "template")
        return self

    @property
    def label(self) -> str:
        """The template of an email stage, the action of a task (as stored)."""
        return self.template if self.template is not None else self.action

    @property
    def is_task(self) -> bool:
        return self.action in TASKS


DEFAULT_STAGES = [Stage(days_overdue=7, template="friendly"),
                  Stage(days_overdue=30, template="firm"),
                  Stage(days_overdue=45, action=CALL),
                  Stage(days_overdue=60, action=ESCALATE)]


class ContactHours(BaseModel):
    """The hours of the customer's day in which a reminder may go (``end`` excluded)."""

    model_config = ConfigDict(extra="forbid")

    start: time = EARLIEST
    end: time = LATEST

    @model_validator(mode="after")
    def _inside(self) -> ContactHours:
        if self.start < EARLIEST or self.end > LATEST:
            raise ValueError("contact hours can be narrowed, never widened: keep them inside "
                             "08:00-21:00")
        if self.start >= self.end:
            raise ValueError(f"start ({self.start:%H:%M}) must come before end "
                             f"({self.end:%H:%M})")
        return self


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or a ValueError saying how to write one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone: write an IANA name such as "
                         "\"Europe/Berlin\" or \"America/New_York\"") from None


def holiday_calendar(country: str) -> str:
    """``country`` as the holidays library knows it (upper case), or a ValueError."""
    import holidays

    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        raise ValueError(f"no holiday calendar for country {country!r}: write an ISO 3166 "
                         "code such as \"US\", \"DE\" or \"FR\"")
    return code


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
    stages: list[Stage] = Field(default_factory=lambda: list(DEFAULT_STAGES), min_length=1)
    """Reminders and tasks by days overdue; by default 7 friendly, 30 firm, 45 call,
    60 escalate."""
    templates: dict[str, Template] = Field(default_factory=dict)
    """Templates by name; the built-in ``friendly``, ``firm`` and ``final`` unless replaced."""
    replies: ReplySettings = Field(default_factory=ReplySettings)
    """How customers' replies hold reminders (:mod:`hub.collect.replies`)."""
    time_zone: str = "UTC"
    """The company's time zone: the contact hours of customers with none of their own."""
    country: str | None = None
    """The company's country (ISO 3166): its holidays for customers with no country."""
    contact_hours: ContactHours = Field(default_factory=ContactHours)
    max_contacts: int = Field(default=MAX_CONTACTS, ge=1, le=MAX_CONTACTS)
    """Reminders to one customer in ``contact_window_days``, at most (7 at most)."""
    contact_window_days: int = Field(default=MIN_WINDOW_DAYS, ge=MIN_WINDOW_DAYS, le=366)
    weekends_off: bool = False
    holidays_off: bool = False
    plan_grace_days: int = Field(default=3, ge=0, le=90)
    """Days after a payment plan instalment's date before it counts as missed."""
    plan_broken_after: int = Field(default=2, ge=1, le=100)
    """Missed instalments that break a payment plan."""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else holiday_calendar(value)

    @field_validator("templates")
    @classmethod
    def _names(cls, value: dict[str, Template]) -> dict[str, Template]:
        for name in value:
            if name in TASKS:
                raise ValueError(f"{name!r} names a task stage; call the template otherwise")
        return value

    @property
    def reply_address(self) -> str:
        """Where replies go: ``reply_to``, else the from address. Every message has one."""
        return self.reply_to or self.from_address

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
        if self.holidays_off and self.country is None:
            raise ValueError("holidays_off needs country = \"US\" (the company's; a "
                             "customer's own country metadata comes first)")
        days = [s.days_overdue for s in self.stages]
        if len(set(days)) != len(days):
            raise ValueError("two stages have the same days_overdue")
        if days != sorted(days):
            raise ValueError("list the stages from the fewest days_overdue to the most")
        for i, stage in enumerate(self.stages):
            if stage.template is not None and stage.template not in self.all_templates():
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


def opt_out_line(settings: CollectionSettings) -> str:
    """The line every reminder ends with: how to stop them, and where a reply goes."""
    return (f"To stop these reminders, reply to {settings.reply_address} with the word STOP; "
            "a person answers every reply. This message is about an open invoice only.")


def neutral(value: object) -> str:
    """A value as it may stand in a reminder: one line, no control characters, bounded."""
    text = "".join(" " if (ord(c) < 32 or 0x7f <= ord(c) < 0xa0 or c in "\u2028\u2029")
                   else c for c in str(value))
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


def render(template: str, values: dict[str, object]) -> str:
    """``template`` with each ``{placeholder}`` replaced by its neutralised value."""
    return _FIELD.sub(lambda m: neutral(values.get(m.group(1), "")), template)
