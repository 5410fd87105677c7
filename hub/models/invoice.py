"""The canonical invoice and its lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import ConfigDict, Field, model_validator

from hub.models.base import (
    CanonicalRecord,
    ExactParts,
    NonEmpty,
    all_exact,
    check_precision,
    check_same_currency,
    check_size,
)
from hub.models.limits import NAME_LENGTH, NUMBER_LENGTH, Limits
from hub.money import CurrencyCode


class InvoiceStatus(StrEnum):
    """Where an invoice is in its life, in every system's common words."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class InvoiceLine(ExactParts):
    """One line of an invoice. ``amount`` is the line's total before tax.

    ``currency`` is optional: when a source states it per line it must equal
    the invoice's currency.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    description: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    amount: Decimal
    item: str | None = None
    currency: CurrencyCode | None = None


class Invoice(CanonicalRecord):
    """A request for payment.

    Amounts are exact ``Decimal`` values in ``currency`` at its precision.
    When lines are given their amounts add up to ``subtotal``; ``total`` is
    ``subtotal + tax``; ``amount_paid + credited + balance`` is ``total``.
    Fields left out are derived from the others (``subtotal`` from the lines,
    ``balance`` from ``total - amount_paid - credited``), never guessed.
    """

    entity: ClassVar[str] = "invoice"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits,
        ("number", NUMBER_LENGTH),
        ("customer_name", NAME_LENGTH),
        ("customer_ref", NAME_LENGTH),
    )

    number: NonEmpty
    customer_ref: str | None = None
    customer_name: str | None = None
    issue_date: date
    due_date: date | None = None
    terms: str | None = None
    currency: CurrencyCode
    lines: list[InvoiceLine] = Field(default_factory=list)
    subtotal: Decimal | None = None
    tax: Decimal = Decimal(0)
    total: Decimal | None = None
    amount_paid: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    balance: Decimal | None = None
    status: InvoiceStatus = InvoiceStatus.OPEN
    memo: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _amounts_add_up(self) -> Invoice:
        cur = self.currency
        tax, paid, credited = self.tax, self.amount_paid, self.credited
        amounts = (self.subtotal, tax, self.total, paid, credited, self.balance)
        lines = self.lines
        if not all_exact((*amounts, *(line.amount for line in lines)), cur) or any(
            line.currency is not None and line.currency != cur for line in lines
        ):  # something is off: find the first problem and say which, as the plain checks do
            for i, line in enumerate(lines):
                check_precision("invoice", f"lines[{i}].amount", line.amount, cur)
                check_same_currency(f"lines[{i}].currency", line.currency, cur)
            for name, value in zip(_AMOUNTS, amounts, strict=True):
                check_precision("invoice", name, value, cur)

        lines_sum = sum((line.amount for line in lines), Decimal(0)) if lines else None
        subtotal = self.subtotal
        if subtotal is None:
            if lines_sum is not None:
                subtotal = lines_sum
            elif self.total is not None:
                subtotal = self.total - tax
            else:
                raise ValueError("total is missing, and there are no lines to derive it from")
        elif lines_sum is not None and lines_sum != subtotal:
            raise ValueError(
                f"lines add up to {lines_sum} {cur} but subtotal is {subtotal} {cur}"
            )
        total = self.total if self.total is not None else subtotal + tax
        if subtotal + tax != total:
            raise ValueError(
                f"subtotal {subtotal} + tax {tax} = {subtotal + tax} {cur}, "
                f"but total is {total} {cur}"
            )
        if paid < 0:
            raise ValueError(f"amount_paid cannot be negative, got {paid} {cur}")
        if credited < 0:
            raise ValueError(f"credited cannot be negative, got {credited} {cur}")
        balance = self.balance
        if balance is None:
            balance = total - paid - credited
        elif self.status is not _VOID and paid + credited + balance != total:
            raise ValueError(
                f"amount_paid {paid} + credited {credited} + balance {balance}"
                f" does not equal total {total} {cur}"
            )
        for name, value in (("subtotal", subtotal), ("total", total), ("balance", balance)):
            if value and value.adjusted() >= 14:  # else check_size has nothing to say
                check_size(name, value, cur)  # derived sums may outgrow their parts
        # Frozen model: fill the derived values in place once, during validation.
        fields = self.__dict__
        fields["subtotal"] = subtotal
        fields["total"] = total
        fields["balance"] = balance
        return self


_AMOUNTS = ("subtotal", "tax", "total", "amount_paid", "credited", "balance")
_VOID = InvoiceStatus.VOID
