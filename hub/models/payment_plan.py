"""The canonical payment plan: instalments a customer agreed to pay an open balance in."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.models.base import CanonicalRecord, check_precision
from hub.models.limits import NAME_LENGTH, Limits
from hub.money import CurrencyCode


class PlanState(StrEnum):
    """Where a payment plan stands on a given day."""

    ON_TRACK = "on_track"
    """Every instalment past its date (and grace) is covered."""
    LATE = "late"
    """At least one instalment was not covered within its grace days."""
    BROKEN = "broken"
    """``broken_after`` instalments or more were missed."""
    COMPLETED = "completed"
    """Payments cover every instalment: the balance is paid."""
    CANCELLED = "cancelled"
    """A coordinator cancelled it; it holds nothing any more."""


class Instalment(BaseModel):
    """One agreed payment: ``amount`` (in the plan's currency) by ``due_date``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due_date: date
    amount: Decimal


class PaymentPlan(CanonicalRecord):
    """A plan a coordinator agreed with a customer for one or more invoices.

    ``instalments`` total ``opening_balance`` (the invoices' open balance when the
    plan was agreed) exactly, in the currency's precision, in date order. Payments
    applied to the invoices cover the instalments in order; an instalment not
    covered ``grace_days`` after its date is missed, and ``broken_after`` missed
    instalments break the plan. ``state`` is the state when it was last judged.
    """

    entity: ClassVar[str] = "payment_plan"
    store_limits: ClassVar[Limits] = (*CanonicalRecord.store_limits,
                                      ("customer_ref", NAME_LENGTH))

    customer_ref: str | None = None
    """The customer's name in the hub, ``SOURCE:customer:ID``, when known."""
    invoice_refs: list[str] = Field(min_length=1)
    """The invoices it covers, ``SOURCE:invoice:ID``."""
    invoice_numbers: list[str] = Field(default_factory=list)
    currency: CurrencyCode
    opening_balance: Decimal
    instalments: list[Instalment] = Field(min_length=1)
    grace_days: int = Field(default=3, ge=0, le=365)
    broken_after: int = Field(default=2, ge=1, le=1000)
    agreed_at: datetime
    agreed_by: str
    state: PlanState = PlanState.ON_TRACK
    note: str = ""

    @model_validator(mode="after")
    def _exact(self) -> PaymentPlan:
        check_precision("payment plan", "opening_balance", self.opening_balance, self.currency)
        for n, i in enumerate(self.instalments, 1):
            check_precision("payment plan", f"instalment {n}", i.amount, self.currency)
            if i.amount <= 0:
                raise ValueError(f"instalment {n} must be above zero, got {i.amount}")
        dates = [i.due_date for i in self.instalments]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("instalments must have distinct dates, in order")
        total = sum((i.amount for i in self.instalments), Decimal(0))
        if total != self.opening_balance:
            raise ValueError(f"instalments total {self.currency} {total}, not the open "
                             f"balance {self.currency} {self.opening_balance}")
        return self
