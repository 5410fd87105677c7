"""The kinds of finding the built-in rules report, and how much each matters by default.

A plugin's finding rule adds kinds of its own (:class:`hub.contract.rules.FindingRuleSpec`);
:class:`Finding` and :class:`Severity` belong to the rule contract and are
imported here for the reconciler's modules.
"""

from __future__ import annotations

from enum import StrEnum

from hub.contract.rules import Finding, Severity

__all__ = ["DEFAULT_SEVERITY", "Finding", "Kind", "Severity"]


class Kind(StrEnum):
    """Every kind of finding the built-in rules report."""

    MISSING = "missing_in_other_system"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    DUE_DATE_MISMATCH = "due_date_mismatch"
    CUSTOMER_MISMATCH = "customer_mismatch"
    UNAPPLIED_PAYMENT = "unapplied_payment"
    PARTLY_APPLIED_PAYMENT = "partly_applied_payment"
    PAYMENT_CURRENCY = "payment_currency_mismatch"
    CLOSED_INVOICE = "payment_for_closed_invoice"
    OVERPAYMENT = "overpayment"
    DUPLICATE_INVOICE = "duplicate_invoice"
    DUPLICATE_PAYMENT = "duplicate_payment"
    PAID_WITHOUT_PAYMENT = "paid_without_payment"
    PAYOUT_WITHOUT_DEPOSIT = "payout_without_deposit"
    PAYOUT_DEPOSIT_MISMATCH = "payout_deposit_mismatch"
    PAYOUT_DEPOSIT_AMBIGUOUS = "payout_deposit_ambiguous"
    CONCURRENT_EDIT = "concurrent_edit"
    INVOICE_NOT_SENT = "invoice_not_sent"
    INVOICE_SENT_LATE = "invoice_sent_late"
    INCOMPLETE_SYNC = "incomplete_sync"
    PLAN_INSTALMENT_MISSED = "plan_instalment_missed"
    DISPUTE_OPEN = "dispute_open"
    DISPUTE_LOST = "dispute_lost"


DEFAULT_SEVERITY: dict[Kind, Severity] = {
    Kind.MISSING: Severity.MEDIUM,
    Kind.AMOUNT_MISMATCH: Severity.HIGH,
    Kind.CURRENCY_MISMATCH: Severity.HIGH,
    Kind.STATUS_MISMATCH: Severity.HIGH,
    Kind.DUE_DATE_MISMATCH: Severity.LOW,
    Kind.CUSTOMER_MISMATCH: Severity.MEDIUM,
    Kind.UNAPPLIED_PAYMENT: Severity.HIGH,
    Kind.PARTLY_APPLIED_PAYMENT: Severity.MEDIUM,
    Kind.PAYMENT_CURRENCY: Severity.HIGH,
    Kind.CLOSED_INVOICE: Severity.HIGH,
    Kind.OVERPAYMENT: Severity.HIGH,
    Kind.DUPLICATE_INVOICE: Severity.HIGH,
    Kind.DUPLICATE_PAYMENT: Severity.HIGH,
    Kind.PAID_WITHOUT_PAYMENT: Severity.MEDIUM,
    Kind.PAYOUT_WITHOUT_DEPOSIT: Severity.HIGH,
    Kind.PAYOUT_DEPOSIT_MISMATCH: Severity.HIGH,
    Kind.PAYOUT_DEPOSIT_AMBIGUOUS: Severity.MEDIUM,
    Kind.CONCURRENT_EDIT: Severity.HIGH,
    Kind.INVOICE_NOT_SENT: Severity.MEDIUM,
    Kind.INVOICE_SENT_LATE: Severity.LOW,
    Kind.INCOMPLETE_SYNC: Severity.HIGH,
    Kind.PLAN_INSTALMENT_MISSED: Severity.MEDIUM,
    Kind.DISPUTE_OPEN: Severity.MEDIUM,
    Kind.DISPUTE_LOST: Severity.HIGH,
}
