"""The reconciler's own finding rules: what each one looks at, handed to the functions
of :mod:`rules_invoices`, :mod:`rules_payments` and :mod:`payouts`.

Each rule takes what it needs from the run's shared work
(:class:`hub.reconcile.context.RunContext`). They are registered, in their
order, by :mod:`hub.reconcile.default_rules`.
"""

from __future__ import annotations

from collections.abc import Iterator

from hub.contract.rules import Finding, RuleContext
from hub.reconcile import awaiting, payouts, rules_invoices, rules_payments
from hub.reconcile.cash import findings as cash_findings
from hub.reconcile.context import RunContext


def invoice_pairs(context: RuleContext) -> Iterator[Finding]:
    """For each pair of systems: the linked invoices that disagree, then the invoices
    of each side with no counterpart on the other (as ``require_counterpart`` asks);
    then each payment's copy in another system that disagrees with the copy that
    counts (:mod:`hub.reconcile.copies`)."""
    run = RunContext.of(context)
    invoices, by_source = run.invoices, run.by_source
    customers = run.customer_word
    for pair, links in run.pair_links:
        yield from rules_invoices.mismatches(
            rules_invoices.differing(invoices, links, customers), pair,
            run.settings.fuzzy_name_threshold, customers)
        for side, other, linked in ((pair.left, pair.right, links.left),
                                    (pair.right, pair.left, links.right)):
            if pair.require_counterpart in ("both", "left" if side == pair.left else "right"):
                flags = bytearray(len(invoices))
                for row in linked:
                    flags[row] = 1
                yield from rules_invoices.missing(invoices, by_source[side], flags, other, pair)
    run.forget("by_source")  # the built-in rules' own: no later rule asks for it
    yield from rules_payments.payment_copies(run.payments, run.payment_copies)


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
    yield from rules_payments.overpayments(run.invoices, run.payments, run.applications,
                                           run.payment_copies.counts)
    run.forget("applications")



def unapplied_payments(context: RuleContext) -> Iterator[Finding]:
    """Receipts (payments, bank credits) with money not applied to any invoice, with
    what the match rules suggest; those held because the memo names an invoice in
    another currency or a paid or void one; a receipt the coordinator applied is
    one until the invoice's system confirms it, and says so."""
    run = RunContext.of(context)
    return awaiting.annotate(cash_findings.unapplied(run.cash), run.snapshot.awaiting)


def duplicate_payments(context: RuleContext) -> Iterator[Finding]:
    """The same amount, payer and memo booked twice within the window."""
    run = RunContext.of(context)
    return cash_findings.duplicates(run.cash)


def concurrent_edits(context: RuleContext) -> Iterator[Finding]:
    """Changes not pushed because the target changed the same fields meanwhile."""
    run = RunContext.of(context)
    return iter(run.snapshot.conflicts)


def invoices_out(context: RuleContext) -> Iterator[Finding]:
    """Invoices not sent to their customer in time, and invoices sent after their due date."""
    run = RunContext.of(context)
    return iter(run.snapshot.sending)


def payouts_to_bank(context: RuleContext) -> Iterator[Finding]:
    """Processor payouts that never reached the bank, or reached it with another amount."""
    run = RunContext.of(context)
    if run.payout_review is not None:
        yield from payouts.findings(run.payout_review)


def incomplete_syncs(context: RuleContext) -> Iterator[Finding]:
    """Sources whose own totals (a count, a control-total row) the hub did not receive."""
    run = RunContext.of(context)
    return iter(run.snapshot.incomplete)


def missed_instalments(context: RuleContext) -> Iterator[Finding]:
    """Instalments of payment plans not paid within their grace days."""
    run = RunContext.of(context)
    return iter(run.snapshot.plans)


def disputes(context: RuleContext) -> Iterator[Finding]:
    """Disputes open with their deadline, and disputes lost (money out)."""
    run = RunContext.of(context)
    return iter(run.snapshot.disputes)
