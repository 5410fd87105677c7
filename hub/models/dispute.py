"""The canonical dispute: a customer contests money the company says it is owed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field, model_validator

from hub.models.base import CanonicalRecord, check_precision
from hub.models.limits import NAME_LENGTH, STATUS_LENGTH, Limits
from hub.money import CurrencyCode


class DisputeStatus(StrEnum):
    """Where a dispute stands. Open ones hold every reminder about their invoices."""

    OPEN = "open"
    """Raised and not yet answered."""
    UNDER_REVIEW = "under_review"
    """Answered (evidence sent), waiting for the customer or the card network."""
    WON = "won"
    LOST = "lost"
    ACCEPTED = "accepted"
    """The company agreed with the customer (a credit note, a refund)."""
    WITHDRAWN = "withdrawn"
    """The customer took it back."""

    @property
    def is_open(self) -> bool:
        return self in (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW)


class Dispute(CanonicalRecord):
    """A customer contests an invoice or a charge.

    General enough for every origin: a customer's reply to a reminder
    (``source`` the mailbox connector, ``raw`` the reply), a card network's
    chargeback (``source`` the Stripe connector, ``charge_ref`` the charge,
    ``evidence_due`` its deadline). ``invoice_numbers`` / ``invoice_refs`` name
    the invoices it holds (numbers as the customer wrote them, refs as
    ``SOURCE:invoice:ID`` once known); ``amount`` is what is contested when it
    is said. ``evidence_due`` is the last day to answer (the UTC day of the card
    network's deadline), ``fee`` what the dispute cost beyond the amount.
    """

    entity: ClassVar[str] = "dispute"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits, ("customer_ref", NAME_LENGTH), ("status", STATUS_LENGTH))

    customer_ref: str | None = None
    """The customer's name in the hub, ``SOURCE:customer:ID``, when known."""
    invoice_numbers: list[str] = Field(default_factory=list)
    invoice_refs: list[str] = Field(default_factory=list)
    charge_ref: str | None = None
    payment_ref: str | None = None
    amount: Decimal | None = None
    currency: CurrencyCode | None = None
    fee: Decimal | None = None
    """What the dispute cost beyond the amount (a card network's dispute fee), in
    ``fee_currency`` (the currency the account settles in, not always ``currency``)."""
    fee_currency: CurrencyCode | None = None
    reason: str = ""
    status: DisputeStatus = DisputeStatus.OPEN
    opened_at: datetime
    evidence_due: date | None = None
    closed_at: datetime | None = None

    @model_validator(mode="after")
    def _money(self) -> Dispute:
        if self.amount is not None:
            if self.currency is None:
                raise ValueError("a dispute's amount needs a currency")
            check_precision("dispute", "amount", self.amount, self.currency)
            if self.amount <= 0:
                raise ValueError(f"amount must be positive, got {self.amount} {self.currency}")
        if self.fee is not None:
            if self.fee_currency is None:
                raise ValueError("a dispute's fee needs a fee_currency")
            check_precision("dispute", "fee", self.fee, self.fee_currency)
            if self.fee < 0:
                raise ValueError(f"fee must not be negative, got {self.fee} {self.fee_currency}")
        return self
