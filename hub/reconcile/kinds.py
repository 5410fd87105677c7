"""What the reconciler can find, and how much each kind matters by default."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """Every kind of finding."""

    MISSING = "missing_in_other_system"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    DUE_DATE_MISMATCH = "due_date_mismatch"
    CUSTOMER_MISMATCH = "customer_mismatch"
    UNAPPLIED_PAYMENT = "unapplied_payment"
    PARTLY_APPLIED_PAYMENT = "partly_applied_payment"
    OVERPAYMENT = "overpayment"
    DUPLICATE_INVOICE = "duplicate_invoice"
    DUPLICATE_PAYMENT = "duplicate_payment"
    PAID_WITHOUT_PAYMENT = "paid_without_payment"
    PAYOUT_WITHOUT_DEPOSIT = "payout_without_deposit"
    PAYOUT_DEPOSIT_MISMATCH = "payout_deposit_mismatch"


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


DEFAULT_SEVERITY: dict[Kind, Severity] = {
    Kind.MISSING: Severity.MEDIUM,
    Kind.AMOUNT_MISMATCH: Severity.HIGH,
    Kind.CURRENCY_MISMATCH: Severity.HIGH,
    Kind.STATUS_MISMATCH: Severity.HIGH,
    Kind.DUE_DATE_MISMATCH: Severity.LOW,
    Kind.CUSTOMER_MISMATCH: Severity.MEDIUM,
    Kind.UNAPPLIED_PAYMENT: Severity.HIGH,
    Kind.PARTLY_APPLIED_PAYMENT: Severity.MEDIUM,
    Kind.OVERPAYMENT: Severity.HIGH,
    Kind.DUPLICATE_INVOICE: Severity.HIGH,
    Kind.DUPLICATE_PAYMENT: Severity.HIGH,
    Kind.PAID_WITHOUT_PAYMENT: Severity.MEDIUM,
    Kind.PAYOUT_WITHOUT_DEPOSIT: Severity.HIGH,
    Kind.PAYOUT_DEPOSIT_MISMATCH: Severity.HIGH,
}


@dataclass(slots=True)
class Finding:
    """One problem, as a rule reports it.

    ``key`` identifies the problem, not the run: the same problem found again
    gets the same key, so re-running the reconciler updates it instead of
    adding a second one. ``money_at_stake`` is in ``currency``.
    """

    key: str
    kind: Kind
    record_ids: list[int]
    explanation: str
    currency: str | None = None
    money_at_stake: Decimal | None = None
    customer: str | None = None
    severity: Severity | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity is None:
            self.severity = DEFAULT_SEVERITY[self.kind]
