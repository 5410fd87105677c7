"""The canonical promise to pay: a customer says by when they will pay."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import Field, model_validator

from hub.models.base import CanonicalRecord, check_precision
from hub.models.limits import NAME_LENGTH, Limits
from hub.money import CurrencyCode


class Promise(CanonicalRecord):
    """A customer's word that invoices will be paid by ``promised_date``.

    Reminders about ``invoice_numbers`` (all the customer's, when none is named)
    wait until the date plus the configured grace period, then resume if the
    money has not come. ``amount`` is what was promised, when it was said.
    """

    entity: ClassVar[str] = "promise"
    store_limits: ClassVar[Limits] = (*CanonicalRecord.store_limits,
                                      ("customer_ref", NAME_LENGTH))

    customer_ref: str | None = None
    """The customer's name in the hub, ``SOURCE:customer:ID``, when known."""
    invoice_numbers: list[str] = Field(default_factory=list)
    invoice_refs: list[str] = Field(default_factory=list)
    promised_date: date
    amount: Decimal | None = None
    currency: CurrencyCode | None = None
    made_at: datetime
    note: str = ""

    @model_validator(mode="after")
    def _money(self) -> Promise:
        if self.amount is not None:
            if self.currency is None:
                raise ValueError("a promise's amount needs a currency")
            check_precision("promise", "amount", self.amount, self.currency)
        return self
