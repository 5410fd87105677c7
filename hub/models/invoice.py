"""The canonical invoice and its lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import ConfigDict, Field, model_validator

from hub.models.base import (
    CanonicalRecord,
    CurrencyCode,
    ExactParts,
    NonEmpty,
    check_precision,
    check_same_currency,
    check_size,
)


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
        for i, line in enumerate(self.lines):
            check_precision("invoice", f"lines[{i}].amount", line.amount, cur)
            check_same_currency(f"lines[{i}].currency", line.currency, cur)
        for name in ("subtotal", "tax", "total", "amount_paid", "credited", "balance"):
            check_precision("invoice", name, getattr(self, name), cur)

        lines_sum = sum((line.amount for line in self.lines), Decimal(0)) if self.lines else None
        subtotal = self.subtotal
        if subtotal is None:
            if lines_sum is not None:
                subtotal = lines_sum
            elif self.total is not None:
                subtotal = self.total - self.tax
            else:
                raise ValueError("total is missing, and there are no lines to derive it from")
        elif lines_sum is not None and lines_sum != subtotal:
            raise ValueError(
                f"lines add up to {lines_sum} {cur} but subtotal is {subtotal} {cur}"
            )
        total = self.total if self.total is not None else subtotal + self.tax
        if subtotal + self.tax != total:
            raise ValueError(
                f"subtotal {subtotal} + tax {self.tax} = {subtotal + self.tax} {cur}, "
                f"but total is {total} {cur}"
            )
        for name in ("amount_paid", "credited"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative, got {getattr(self, name)} {cur}")
        balance = self.balance
        if balance is None:
            balance = total - self.amount_paid - self.credited
        elif self.status is not InvoiceStatus.VOID and (
            self.amount_paid + self.credited + balance != total
        ):
            raise ValueError(
                f"amount_paid {self.amount_paid} + credited {self.credited} + balance {balance}"
                f" does not equal total {total} {cur}"
            )
        for name, value in (("subtotal", subtotal), ("total", total), ("balance", balance)):
            check_size(name, value, cur)  # derived sums may outgrow their parts
        # Frozen model: fill the derived values in place once, during validation.
        object.__setattr__(self, "subtotal", subtotal)
        object.__setattr__(self, "total", total)
        object.__setattr__(self, "balance", balance)
        return self
