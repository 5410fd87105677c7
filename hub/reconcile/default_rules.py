"""The reconciler's own rules, registered as a plugin through the hooks a third party uses.

The plugin loader registers this module before any installed plugin (as
datasette and llm register their default plugins), so ``billing-hub plugins``
lists it as built-in and the reconciler knows no rule that did not come
through a hook. The rules run in the order registered here; each finding
rule takes what it needs from the run's shared work
(:class:`hub.reconcile.context.RunContext`) and hands it to the functions of
:mod:`rules_invoices`, :mod:`rules_payments` and :mod:`payouts`.
"""

from __future__ import annotations

from collections.abc import Iterator

from hub.contract.hookspecs import hookimpl
from hub.contract.rules import (
    Finding,
    FindingRuleSpec,
    MatchRuleSpec,
    RuleContext,
    Severity,
)
from hub.reconcile import match_rules, payouts, rules_invoices, rules_payments
from hub.reconcile.context import RunContext
from hub.reconcile.kinds import DEFAULT_SEVERITY, Kind


def _kinds(*kinds: Kind) -> dict[str, Severity]:
    return {kind.value: DEFAULT_SEVERITY[kind] for kind in kinds}


def invoice_pairs(context: RuleContext) -> Iterator[Finding]:
    """For each pair of systems: the linked invoices that disagree, then the invoices
    of each side with no counterpart on the other (as ``require_counterpart`` asks)."""
    run = RunContext.of(context)
    invoices, by_source = run.invoices, run.by_source
    for pair, links in run.pair_links:
        yield from rules_invoices.mismatches(rules_invoices.differing(invoices, links), pair,
                                             run.settings.fuzzy_name_threshold)
        for side, other, linked in ((pair.left, pair.right, links.left),
                                    (pair.right, pair.left, links.right)):
            if pair.require_counterpart in ("both", "left" if side == pair.left else "right"):
                flags = bytearray(len(invoices))
                for row in linked:
                    flags[row] = 1
                yield from rules_invoices.missing(invoices, by_source[side], flags, other, pair)
    run.forget("by_source")  # the built-in rules' own: no later rule asks for it


def duplicate_invoices(context: RuleContext) -> Iterator[Finding]:
    """Two invoices of one system for the same customer and amount a few days apart."""
    run = RunContext.of(context)
    return rules_invoices.duplicates(run.invoices, run.settings.duplicate_window_days)


def paid_without_payment(context: RuleContext) -> Iterator[Finding]:
    """Invoices marked paid while nothing in the store pays or names them."""
    run = RunContext.of(context)
    if len(run.payments) or run.bank_credits:
        yield from rules_invoices.paid_without_payment(run.invoices, run.evidence)
    run.forget("evidence", "pair_links")


def overpayments(context: RuleContext) -> Iterator[Finding]:
    """Invoices whose applied payments add up to more than the invoice."""
    run = RunContext.of(context)
    yield from rules_payments.overpayments(run.invoices, run.payments, run.applications)
    run.forget("applications")


def unapplied_payments(context: RuleContext) -> Iterator[Finding]:
    """Payments with money not applied to any invoice, with what the match rules suggest."""
    run = RunContext.of(context)
    return rules_payments.unapplied(run.payments, run.open_invoices, run.suggest)


def duplicate_payments(context: RuleContext) -> Iterator[Finding]:
    """Two payments in one system from the same payer for the same amount, days apart."""
    run = RunContext.of(context)
    return rules_payments.duplicates(run.payments, run.settings.duplicate_window_days)


def payouts_to_bank(context: RuleContext) -> Iterator[Finding]:
    """Processor payouts that never reached the bank, or reached it with another amount."""
    run = RunContext.of(context)
    if run.payout_review is not None:
        yield from payouts.findings(run.payout_review)


@hookimpl
def hub_finding_rules() -> Iterator[FindingRuleSpec]:
    """The built-in finding rules, in the order they run."""
    yield FindingRuleSpec(
        "invoice_pairs",
        _kinds(Kind.CURRENCY_MISMATCH, Kind.AMOUNT_MISMATCH, Kind.STATUS_MISMATCH,
               Kind.DUE_DATE_MISMATCH, Kind.CUSTOMER_MISMATCH, Kind.MISSING),
        invoice_pairs, "the same invoice in two systems disagrees, or is missing in one")
    yield FindingRuleSpec("duplicate_invoices", _kinds(Kind.DUPLICATE_INVOICE),
                          duplicate_invoices, "an invoice keyed in twice")
    yield FindingRuleSpec("paid_without_payment", _kinds(Kind.PAID_WITHOUT_PAYMENT),
                          paid_without_payment, "marked paid with no payment behind it")
    yield FindingRuleSpec("overpayments", _kinds(Kind.OVERPAYMENT), overpayments,
                          "payments applied beyond an invoice's total")
    yield FindingRuleSpec(
        "unapplied_payments", _kinds(Kind.UNAPPLIED_PAYMENT, Kind.PARTLY_APPLIED_PAYMENT),
        unapplied_payments, "money received and not applied, with suggestions")
    yield FindingRuleSpec("duplicate_payments", _kinds(Kind.DUPLICATE_PAYMENT),
                          duplicate_payments, "a payment keyed in twice")
    yield FindingRuleSpec(
        "payouts", _kinds(Kind.PAYOUT_WITHOUT_DEPOSIT, Kind.PAYOUT_DEPOSIT_MISMATCH),
        payouts_to_bank, "processor payouts against bank deposits")


@hookimpl
def hub_match_rules() -> Iterator[MatchRuleSpec]:
    """The built-in match rules, strongest evidence first."""
    yield MatchRuleSpec("memo_number", match_rules.memo_number,
                        decisive_at=match_rules.MEMO_EXACT,
                        description="an invoice number in the memo")
    yield MatchRuleSpec("exact_amount", match_rules.exact_amount,
                        description="the balance of one open invoice of the payer")
    yield MatchRuleSpec("subset_sum", match_rules.subset_sum,
                        description="open invoices of the payer that add up to the amount")
    yield MatchRuleSpec("tolerance", match_rules.tolerance,
                        description="within the tolerance of a balance (fees, exchange)")
    yield MatchRuleSpec("partial", match_rules.partial,
                        description="less than a balance: a partial payment")
