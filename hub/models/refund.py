"""The canonical refund: money given back against an earlier payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import Field, model_validator

from hub.models.base import CanonicalRecord, check_precision
from hub.models.limits import NAME_LENGTH, NUMBER_LENGTH, STATUS_LENGTH, Limits
from hub.money import CurrencyCode


class Refund(CanonicalRecord):
    """Money returned to a customer, in part or in full, for one payment.

    ``payment_ref`` is the refunded payment's external id in the same source
    (a Stripe charge ``ch_...``); ``amount`` is positive, the money that left.
    ``status`` is the source's word for where the refund is (``succeeded``,
    ``pending``, ``failed``, ``canceled``).
    """

    entity: ClassVar[str] = "refund"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits,
        ("reference", NUMBER_LENGTH),
        ("customer_ref", NAME_LENGTH),
        ("status", STATUS_LENGTH),
    )

    amount: Decimal
    currency: CurrencyCode
    refunded_date: date
    payment_ref: str | None = None
    customer_ref: str | None = None
    reason: str | None = None
    status: str = "succeeded"
    reference: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _positive(self) -> Refund:
        check_precision("refund", "amount", self.amount, self.currency)
        if self.amount <= 0:
            raise ValueError(f"amount must be positive, got {self.amount} {self.currency}")
        return self
