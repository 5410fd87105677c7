"""A line of a bank or processor statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import model_validator

from hub.models.base import CanonicalRecord, check_precision
from hub.models.limits import NAME_LENGTH, NUMBER_LENGTH, Limits
from hub.money import CurrencyCode


class BankTransaction(CanonicalRecord):
    """One booked movement on an account, as the bank reported it.

    ``amount`` is signed from the account's point of view: a deposit (a
    customer's transfer, a Stripe payout) is positive, a withdrawal negative.
    A bank line is not yet a payment: the reconciler decides which payment or
    payout it is.
    """

    entity: ClassVar[str] = "bank_transaction"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits,
        ("reference", NUMBER_LENGTH),
        ("counterparty", NAME_LENGTH),
    )

    account: str | None = None
    booked_date: date
    value_date: date | None = None
    amount: Decimal
    currency: CurrencyCode
    description: str = ""
    counterparty: str | None = None
    reference: str | None = None
    balance_after: Decimal | None = None
    category: str | None = None

    @model_validator(mode="after")
    def _precision(self) -> BankTransaction:
        check_precision("bank_transaction", "amount", self.amount, self.currency)
        check_precision("bank_transaction", "balance_after", self.balance_after, self.currency)
        return self

    @property
    def is_deposit(self) -> bool:
        return self.amount > 0
