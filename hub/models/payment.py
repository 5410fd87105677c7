"""The canonical payment and how it is applied to invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import ConfigDict, Field, model_validator

from hub.models.base import (
    CanonicalRecord,
    ExactParts,
    check_precision,
    check_same_currency,
)
from hub.models.limits import NAME_LENGTH, NUMBER_LENGTH, STATUS_LENGTH, Limits
from hub.money import CurrencyCode


class PaymentApplication(ExactParts):
    """The part of a payment that settles one invoice.

    ``invoice_ref`` is the invoice's external id in the same source;
    ``invoice_number`` its document number, when the source gives only that.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    invoice_ref: str | None = None
    invoice_number: str | None = None
    amount: Decimal
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _names_an_invoice(self) -> PaymentApplication:
        if not self.invoice_ref and not self.invoice_number:
            raise ValueError("an application must name the invoice (invoice_ref or invoice_number)")
        if self.amount <= 0:
            raise ValueError(f"an applied amount must be positive, got {self.amount}")
        return self


class Payment(CanonicalRecord):
    """Money received from a customer.

    ``applications`` say which invoices it settles; what is left is
    ``unapplied`` (derived when not given). Applications never exceed the
    amount, and all of them are in the payment's currency. ``fee`` is what a
    processor kept (Stripe's fee), so gross minus fee is what reached the bank.
    """

    entity: ClassVar[str] = "payment"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits,
        ("reference", NUMBER_LENGTH),
        ("payer_name", NAME_LENGTH),
        ("customer_ref", NAME_LENGTH),
        ("status", STATUS_LENGTH),
    )

    amount: Decimal
    currency: CurrencyCode
    received_date: date
    method: str | None = None
    reference: str | None = None
    memo: str | None = None
    payer_name: str | None = None
    customer_ref: str | None = None
    applications: list[PaymentApplication] = Field(default_factory=list)
    unapplied: Decimal | None = None
    fee: Decimal | None = None
    refunded: Decimal = Decimal(0)
    status: str = "succeeded"
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _applications_fit(self) -> Payment:
        cur = self.currency
        check_precision("payment", "amount", self.amount, cur)
        for name in ("unapplied", "fee", "refunded"):
            check_precision("payment", name, getattr(self, name), cur)
        if self.amount <= 0:
            raise ValueError(f"amount must be positive, got {self.amount} {cur}")
        if not 0 <= self.refunded <= self.amount:
            raise ValueError(
                f"refunded must be between 0 and the payment's {self.amount} {cur}, "
                f"got {self.refunded} {cur}"
            )
        applied = Decimal(0)
        for i, app in enumerate(self.applications):
            check_precision("payment", f"applications[{i}].amount", app.amount, cur)
            check_same_currency(f"applications[{i}].currency", app.currency, cur)
            applied += app.amount
        if applied > self.amount:
            raise ValueError(
                f"applications add up to {applied} {cur}, "
                f"more than the payment's {self.amount} {cur}"
            )
        unapplied = self.amount - applied
        if self.unapplied is not None and self.unapplied != unapplied:
            raise ValueError(
                f"unapplied is {self.unapplied} {cur} but amount {self.amount} minus applications "
                f"{applied} leaves {unapplied} {cur}"
            )
        object.__setattr__(self, "unapplied", unapplied)
        return self

    @property
    def applied(self) -> Decimal:
        return self.amount - (self.unapplied or Decimal(0))
