"""The canonical credit note: an amount taken off an invoice after it was issued."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import Field, model_validator

from hub.models.base import (
    CanonicalRecord,
    NonEmpty,
    check_precision,
    check_same_currency,
)
from hub.models.invoice import InvoiceLine
from hub.models.limits import NAME_LENGTH, NUMBER_LENGTH, STATUS_LENGTH, Limits
from hub.money import CurrencyCode


class CreditNote(CanonicalRecord):
    """A document that reduces what a customer owes on one invoice.

    ``total`` is what it credits, tax included; ``invoice_ref`` is the
    credited invoice's external id in the same source. ``lines`` say what was
    credited; they are informative (a source may credit a discount or a
    shipping amount that has no line), so their sum is not required to equal
    ``total``. ``status`` is ``issued`` or ``void``.
    """

    entity: ClassVar[str] = "credit_note"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits,
        ("number", NUMBER_LENGTH),
        ("customer_ref", NAME_LENGTH),
        ("status", STATUS_LENGTH),
    )

    number: NonEmpty
    invoice_ref: str | None = None
    invoice_number: str | None = None
    customer_ref: str | None = None
    issue_date: date
    currency: CurrencyCode
    total: Decimal
    tax: Decimal = Decimal(0)
    lines: list[InvoiceLine] = Field(default_factory=list)
    reason: str | None = None
    status: str = "issued"
    memo: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _amounts(self) -> CreditNote:
        cur = self.currency
        check_precision("credit_note", "total", self.total, cur)
        check_precision("credit_note", "tax", self.tax, cur)
        for i, line in enumerate(self.lines):
            check_precision("credit_note", f"lines[{i}].amount", line.amount, cur)
            check_same_currency(f"lines[{i}].currency", line.currency, cur)
        if self.total < 0:
            raise ValueError(f"total cannot be negative, got {self.total} {cur}")
        if not 0 <= self.tax <= self.total:
            raise ValueError(f"tax must be between 0 and the total {self.total} {cur}, "
                             f"got {self.tax} {cur}")
        return self
