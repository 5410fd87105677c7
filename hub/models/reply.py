"""The canonical reply: a message that came in to the collections mailbox, read for what
it asks (a dispute, a stop, a promise to pay, an out-of-office answer, a bounce...)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field, model_validator

from hub.models.base import CanonicalRecord, check_precision
from hub.models.limits import NAME_LENGTH, Limits
from hub.money import CurrencyCode


class ReplyKind(StrEnum):
    """What a reply asks of the coordinator."""

    DISPUTE = "dispute"
    """The customer contests an invoice (amount, goods, service): no reminder about it
    until the dispute is answered."""
    STOP = "stop"
    """The customer asks not to be contacted (cease and desist, unsubscribe)."""
    PROMISE = "promise"
    """The customer says when they will pay (``promised_date``)."""
    REMITTANCE = "remittance"
    """The customer says they paid; with an amount it is also read as a payment."""
    OUT_OF_OFFICE = "out_of_office"
    """An automatic answer: the reader is away (until ``return_date``)."""
    BOUNCE = "bounce"
    """A delivery failure report: the addresses in ``bounced_addresses`` take no mail."""
    QUESTION = "question"
    """A question only a person can answer."""
    OTHER = "other"
    """Anything else (thanks, a new contact, a new address): a person reads it."""


class Reply(CanonicalRecord):
    """One inbound message and what it was read to say.

    ``refers_to`` holds the Message-IDs the message answers (In-Reply-To,
    References, and for a bounce the returned message's own), so that a reply
    to a reminder is tied to that reminder's invoice. ``evidence`` quotes the
    words that decided ``kind``; ``needs_person`` says why a person should read
    it even when the hub acted on it. ``invoice_numbers`` are the numbers the
    text names; the hub keeps those that are invoices of the customer.
    """

    entity: ClassVar[str] = "reply"
    store_limits: ClassVar[Limits] = (*CanonicalRecord.store_limits, ("sender", NAME_LENGTH))

    kind: ReplyKind
    sender: str
    sender_name: str | None = None
    subject: str = ""
    received_at: datetime | None = None
    refers_to: list[str] = Field(default_factory=list)
    invoice_numbers: list[str] = Field(default_factory=list)
    promised_date: date | None = None
    promised_amount: Decimal | None = None
    currency: CurrencyCode | None = None
    return_date: date | None = None
    bounced_addresses: list[str] = Field(default_factory=list)
    language: str | None = None
    evidence: str | None = None
    needs_person: str | None = None
    text: str = ""
    """The message's own words (quoted text and signatures left out), at most 4,000
    characters; the whole message is in ``raw``."""

    @model_validator(mode="after")
    def _money(self) -> Reply:
        if self.promised_amount is not None:
            if self.currency is None:
                raise ValueError("promised_amount needs a currency")
            check_precision("reply", "promised_amount", self.promised_amount, self.currency)
        return self
