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


class Settlement(ExactParts):
    """What a processor credited to its balance for a payment, in the currency it
    settled in (Stripe's balance transaction).

    A processor settles a payment in the account's currency: a charge of
    JPY 16,000 on a USD account is credited as ``amount`` USD 100.00, less
    ``fee`` USD 3.20, so ``net`` USD 96.80 goes towards a payout.
    ``exchange_rate`` is the processor's rate from the payment's currency to
    ``currency`` (units of ``currency`` per unit of the payment's currency,
    Stripe's convention); it is None when nothing was converted. Every amount
    here is in ``currency`` at that currency's own precision.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    currency: CurrencyCode
    amount: Decimal
    fee: Decimal = Decimal(0)
    net: Decimal
    exchange_rate: Decimal | None = None

    @model_validator(mode="after")
    def _net_is_amount_minus_fee(self) -> Settlement:
        cur = self.currency
        for name in ("amount", "fee", "net"):
            check_precision("settlement", f"settlement.{name}", getattr(self, name), cur)
        if self.amount - self.fee != self.net:
            raise ValueError(
                f"settlement: amount {self.amount} {cur} - fee {self.fee} {cur} is "
                f"{self.amount - self.fee} {cur}, but net is {self.net} {cur}")
        if self.exchange_rate is not None and not (
                self.exchange_rate.is_finite() and self.exchange_rate > 0):
            raise ValueError(f"settlement: exchange_rate must be positive, "
                             f"got {self.exchange_rate}")
        return self


class Payment(CanonicalRecord):
    """Money received from a customer.

    ``applications`` say which invoices it settles; what is left is
    ``unapplied`` (derived when not given). Applications never exceed the
    amount, and all of them are in the payment's currency.

    ``settlement`` is what a processor credited for it, in the currency it
    settled in (fee, net, exchange rate: see :class:`Settlement`), when the
    source says. ``fee`` is what the processor kept *in the payment's own
    currency*: taken from ``settlement`` when that is in the payment's
    currency, and None when the processor settled in another currency (its fee
    is then ``settlement.fee``, in ``settlement.currency``; it is never
    converted back). A source without settlements may set ``fee`` alone.
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
    settlement: Settlement | None = None
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
        self._fee_fits_settlement()
        return self

    def _fee_fits_settlement(self) -> None:
        settled = self.settlement
        if settled is None:
            return
        cur = self.currency
        if settled.currency != cur:
            if settled.exchange_rate is None:
                raise ValueError(
                    f"the payment is in {cur} but settled in {settled.currency}: "
                    "a settlement in another currency needs its exchange_rate")
            if self.fee is not None:
                raise ValueError(
                    f"fee {self.fee} is given in the payment's {cur}, but the processor "
                    f"settled it in {settled.currency} (fee {settled.fee} "
                    f"{settled.currency}): leave fee empty")
        elif self.fee is None:
            object.__setattr__(self, "fee", settled.fee)
        elif self.fee != settled.fee:
            raise ValueError(
                f"fee is {self.fee} {cur} but the settlement's fee is {settled.fee} {cur}")

    @property
    def settlement_currency(self) -> str:
        """The currency the processor settled the payment in (its own when not said)."""
        return self.settlement.currency if self.settlement else self.currency

    @property
    def applied(self) -> Decimal:
        return self.amount - (self.unapplied or Decimal(0))
