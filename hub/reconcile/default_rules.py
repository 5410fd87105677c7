"""The reconciler's own rules, registered as a plugin through the hooks a third party uses.

The plugin loader registers this module before any installed plugin (as
datasette and llm register their default plugins), so ``billing-hub plugins``
lists it as built-in and the reconciler knows no rule that did not come
through a hook. The rules run in the order registered here. Their code
(:mod:`builtin_rules`, :mod:`match_rules`) is imported when a reconcile first
calls one: registering them costs nothing to a command that does not
reconcile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

from hub.contract.hookspecs import hookimpl
from hub.contract.rules import FindingRuleSpec, MatchRuleSpec, Severity
from hub.reconcile.kinds import DEFAULT_SEVERITY, Kind

MEMO_EXACT = 0.98
"""The confidence of a memo naming an invoice whose balance is the amount: decisive, no
later match rule runs (``memo_reference`` suggests with it)."""


class Deferred:
    """A rule function known by module and name, imported on its first call."""

    __slots__ = ("_function", "module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self._function: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self._function is None:
            self._function = getattr(import_module(self.module), self.name)
        return self._function(*args)

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


def _kinds(*kinds: Kind) -> dict[str, Severity]:
    return {kind.value: DEFAULT_SEVERITY[kind] for kind in kinds}


invoice_pairs = Deferred("hub.reconcile.builtin_rules", "invoice_pairs")
duplicate_invoices = Deferred("hub.reconcile.builtin_rules", "duplicate_invoices")
paid_without_payment = Deferred("hub.reconcile.builtin_rules", "paid_without_payment")
overpayments = Deferred("hub.reconcile.builtin_rules", "overpayments")
unapplied_payments = Deferred("hub.reconcile.builtin_rules", "unapplied_payments")
duplicate_payments = Deferred("hub.reconcile.builtin_rules", "duplicate_payments")
concurrent_edits = Deferred("hub.reconcile.builtin_rules", "concurrent_edits")
invoices_out = Deferred("hub.reconcile.builtin_rules", "invoices_out")
incomplete_syncs = Deferred("hub.reconcile.builtin_rules", "incomplete_syncs")
missed_instalments = Deferred("hub.reconcile.builtin_rules", "missed_instalments")
disputes = Deferred("hub.reconcile.builtin_rules", "disputes")
payouts_to_bank = Deferred("hub.reconcile.builtin_rules", "payouts_to_bank")
memo_reference = Deferred("hub.reconcile.match_rules", "memo_reference")
payer_amount = Deferred("hub.reconcile.match_rules", "payer_amount")


@hookimpl
def hub_finding_rules() -> Iterator[FindingRuleSpec]:
    """The built-in finding rules, in the order they run."""
    yield FindingRuleSpec(
        "invoice_pairs",
        _kinds(Kind.CURRENCY_MISMATCH, Kind.AMOUNT_MISMATCH, Kind.STATUS_MISMATCH,
               Kind.DUE_DATE_MISMATCH, Kind.CUSTOMER_MISMATCH, Kind.MISSING),
        invoice_pairs, "the same invoice in two systems disagrees, or is missing in one; a "
                       "payment's copy disagrees with the one that counts")
    yield FindingRuleSpec("duplicate_invoices", _kinds(Kind.DUPLICATE_INVOICE),
                          duplicate_invoices, "an invoice keyed in twice")
    yield FindingRuleSpec("paid_without_payment", _kinds(Kind.PAID_WITHOUT_PAYMENT),
                          paid_without_payment, "marked paid with no payment behind it")
    yield FindingRuleSpec("overpayments", _kinds(Kind.OVERPAYMENT), overpayments,
                          "payments applied beyond an invoice's total")
    yield FindingRuleSpec(
        "unapplied_payments", _kinds(Kind.UNAPPLIED_PAYMENT, Kind.PARTLY_APPLIED_PAYMENT,
                                     Kind.PAYMENT_CURRENCY, Kind.CLOSED_INVOICE),
        unapplied_payments, "money received and not applied, with suggestions")
    yield FindingRuleSpec("duplicate_payments", _kinds(Kind.DUPLICATE_PAYMENT),
                          duplicate_payments, "a payment keyed in twice")
    yield FindingRuleSpec(
        "payouts", _kinds(Kind.PAYOUT_WITHOUT_DEPOSIT, Kind.PAYOUT_DEPOSIT_MISMATCH,
                          Kind.PAYOUT_DEPOSIT_AMBIGUOUS),
        payouts_to_bank, "processor payouts against bank deposits")
    yield FindingRuleSpec("concurrent_edits", _kinds(Kind.CONCURRENT_EDIT), concurrent_edits,
                          "a change not pushed: the target changed the same fields meanwhile")
    yield FindingRuleSpec("invoices_out", _kinds(Kind.INVOICE_NOT_SENT, Kind.INVOICE_SENT_LATE),
                          invoices_out, "an invoice not sent in time, or sent after its due date")
    yield FindingRuleSpec("incomplete_syncs", _kinds(Kind.INCOMPLETE_SYNC), incomplete_syncs,
                          "a source's own totals the hub did not receive in full")
    yield FindingRuleSpec("missed_instalments", _kinds(Kind.PLAN_INSTALMENT_MISSED),
                          missed_instalments, "a payment plan's instalment not paid in time")
    yield FindingRuleSpec("disputes", _kinds(Kind.DISPUTE_OPEN, Kind.DISPUTE_LOST), disputes,
                          "a payment disputed: open with its deadline, or lost (money out)")


@hookimpl
def hub_match_rules() -> Iterator[MatchRuleSpec]:
    """The built-in match rules, strongest evidence first."""
    yield MatchRuleSpec("memo_reference", memo_reference,
                        decisive_at=MEMO_EXACT,
                        description="invoices the memo names, against their balances")
    yield MatchRuleSpec("payer_amount", payer_amount,
                        description="the payer's open invoices, against the amount")
