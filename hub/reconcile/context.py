"""What the rules of one reconcile run share, each part worked out once, on first use.

A :class:`RunContext` is the :class:`hub.contract.rules.RuleContext` every
finding rule is handed. Beyond what the contract promises a plugin, it holds
the reconciler's own shared work, which the built-in rules use: the links of
each pair of systems, the invoice number index, the payments' applications,
which invoices something pays, and the open invoices indexed for matching.
Each is computed when a rule first asks for it and kept until the run ends
(:meth:`RunContext.forget` drops one a later rule will not need, so a run
over a million invoices holds no more at once than it must).
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import cached_property

from hub.contract.rows import CustomerRow, PaymentRow
from hub.contract.rules import MatchRuleSpec, RuleContext, Suggestion
from hub.reconcile import copies, linking, matching, payouts, rules_payments
from hub.reconcile.cash import receipts as cash_receipts
from hub.reconcile.cash import run as cash_run
from hub.reconcile.copies import Side
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.rules_payments import Applications, payment_evidence
from hub.reconcile.settings import PairSettings, ReconcileSettings
from hub.reconcile.snapshot import Snapshot
from hub.reconcile.tables import InvoiceTable, PaymentTable
from hub.reconcile.text import name_key


class RunContext:
    """One run's records and the work its rules share."""

    def __init__(self, snapshot: Snapshot, settings: ReconcileSettings,
                 match_rules: Sequence[MatchRuleSpec] = (),
                 manual: linking.ManualLinks | None = None,
                 payout_review: payouts.PayoutReview | None = None) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.match_rules = tuple(match_rules)
        self.manual = manual or linking.ManualLinks(set(), set())
        self.payout_review = payout_review
        """Payouts and their deposits, when the run reads them from the store."""

    @staticmethod
    def of(context: RuleContext) -> RunContext:
        """``context`` as the reconciler's own context (what a built-in rule needs)."""
        if not isinstance(context, RunContext):
            raise TypeError(f"a built-in rule needs the reconciler's RunContext, not "
                            f"{type(context).__name__}")
        return context

    @property
    def invoices(self) -> InvoiceTable:
        return self.snapshot.invoices

    @property
    def payments(self) -> PaymentTable:
        return self.snapshot.payments

    @property
    def customers(self) -> Sequence[CustomerRow]:
        return self.snapshot.customers

    @property
    def bank_credits(self) -> Sequence[str]:
        return self.snapshot.bank_credits

    @cached_property
    def by_source(self) -> dict[str, array[int]]:
        """The invoices' table positions, by system."""
        found: dict[str, array[int]] = defaultdict(lambda: array("I"))
        invoices = self.invoices
        for row, code in enumerate(invoices.source.codes):
            found[invoices.source.values[code]].append(row)
        return found

    @cached_property
    def pair_links(self) -> list[tuple[PairSettings, linking.Links]]:
        """The links of each pair of systems the settings compare, in the pairs' order."""
        by_source = self.by_source
        return [(pair, linking.link_pair(self.invoices, by_source[pair.left],
                                         by_source[pair.right], pair, self.manual))
                for pair in linking.pairs_of(self.settings, sorted(by_source))]

    @cached_property
    def payment_copies(self) -> Side:
        """Which payments are copies of one payment (linked by a person, or named by a
        reference), and which of each counts (:mod:`hub.reconcile.copies`)."""
        return copies.count_payments(self.snapshot, self.settings, self.manual,
                                     self.manual.linked)

    @cached_property
    def customer_word(self) -> dict[frozenset[linking.CustomerKey], bool]:
        """What a person said of two customers: the same (True) or not (False)."""
        return linking.customer_word(self.manual, self.customers)

    @cached_property
    def numbers(self) -> HashIndex:
        """Every invoice (its position) by its number key."""
        return matching.number_index(self.invoices, self.settings.number_prefixes)

    @cached_property
    def applications(self) -> Applications:
        """Which payment pays which invoice, from the payments' own applications."""
        return Applications.build(self.invoices, self.payments, self.settings.number_prefixes,
                                  self.numbers)

    @cached_property
    def evidence(self) -> bytearray:
        """1 for each invoice that some payment, memo or bank credit pays or names;
        what pays one system's copy of a sale pays the linked copies too."""
        evidenced = payment_evidence(self.invoices, self.payments, self.bank_credits,
                                     self.applications, self.settings.number_prefixes,
                                     self.numbers)
        for _, links in self.pair_links:
            for left, right in zip(links.left, links.right, strict=True):
                if evidenced[left] or evidenced[right]:
                    evidenced[left] = evidenced[right] = 1
        return evidenced

    @cached_property
    def open_invoices(self) -> matching.OpenInvoiceIndex:
        """The open invoices, indexed for the match rules."""
        settings = self.settings
        index = matching.OpenInvoiceIndex.build(
            self.invoices, settings.matching, settings.fuzzy_name_threshold,
            settings.number_prefixes, self.numbers, self.customers)
        index.pair_tolerances = {
            (m.payments, m.invoices): (m.amount_tolerance_percent, m.amount_tolerance_fixed)
            for m in settings.matching_pairs}
        index.quarantined = self.snapshot.quarantined
        twins = index.balances.twins
        for _, links in self.pair_links:
            for left, right in zip(links.left, links.right, strict=True):
                twins.setdefault(left, []).append(right)
                twins.setdefault(right, []).append(left)
        return index

    @cached_property
    def cash(self) -> list[cash_run.Decision]:
        """Every receipt's decision, in booking order (:mod:`hub.reconcile.cash.run`).

        A payment applied in full is built as a row only when another payment could be
        its second booking (same system, currency, amount and payer): most of a
        processor's payments are neither, and the run never builds them.
        """
        payments = self.payments
        live_code = rules_payments.live_codes(payments)
        status, amount, left = payments.status.codes, payments.amount, payments.unapplied
        names = [name_key(v) for v in payments.payer.values]
        source, currency, payer = (payments.source.codes, payments.currency.codes,
                                   payments.payer.codes)
        rows = [r for r in range(len(payments)) if live_code[status[r]] and amount[r] > 0]
        groups = Counter((source[r], currency[r], amount[r], names[payer[r]]) for r in rows)
        wanted = [payments[r] for r in rows
                  if left[r] > 0 or groups[(source[r], currency[r], amount[r],
                                            names[payer[r]])] > 1]
        receipts = cash_run.receipts_of(wanted, self.snapshot.bank_lines)
        explained = cash_receipts.Explained(
            payments, rows if self.snapshot.bank_lines else [], self.payout_review,
            self.manual, self.snapshot.bank_lines)
        return [d for d in cash_run.decide_all(receipts, self.open_invoices, self.suggest,
                                               self.settings.matching, explained,
                                               self.manual.apart)
                if d.kind != cash_run.APPLIED]

    def suggest(self, payment: PaymentRow) -> list[Suggestion]:
        """What the registered match rules suggest for ``payment``, best first."""
        return matching.suggest(payment, self.open_invoices, self.match_rules)

    def forget(self, *parts: str) -> None:
        """Drop shared work no later rule needs; asked for again, it is worked out again."""
        for part in parts:
            self.__dict__.pop(part, None)
