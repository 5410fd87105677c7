"""One reconcile run: read the store, apply every rule, merge the findings.

It works on the store only and never calls an outside system, so it can run
after every sync, on a schedule, or by hand, as often as wanted: a run on
unchanged data changes no finding.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from hub.reconcile import lifecycle, linking, payouts, rules_invoices, rules_payments
from hub.reconcile.kinds import Finding
from hub.reconcile.matching import MatchRule, OpenInvoices, number_index
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import Snapshot, load
from hub.store import Engine, runs
from hub.store.clock import utcnow


@dataclass(slots=True)
class ReconcileSummary:
    """What a run found and what it changed in the stored findings."""

    run_id: int
    records: int
    by_kind: Counter[str] = field(default_factory=Counter)
    merge: lifecycle.MergeResult = field(default_factory=lifecycle.MergeResult)

    @property
    def found(self) -> int:
        return sum(self.by_kind.values())


def find(snapshot: Snapshot, settings: ReconcileSettings,
         extra_rules: Sequence[MatchRule] = (),
         manual: linking.ManualLinks | None = None) -> list[Finding]:
    """Every finding the data shows (pure: no database)."""
    return list(find_iter(snapshot, settings, extra_rules, manual))


def find_iter(snapshot: Snapshot, settings: ReconcileSettings,
              extra_rules: Sequence[MatchRule] = (),
              manual: linking.ManualLinks | None = None) -> Iterator[Finding]:
    """:func:`find`, one finding at a time, so that a caller need not keep them all."""
    manual = manual or linking.ManualLinks(set(), set())
    prefixes = settings.number_prefixes
    invoices, payments = snapshot.invoices, snapshot.payments
    by_source: dict[str, array[int]] = defaultdict(lambda: array("I"))
    for row, code in enumerate(invoices.source.codes):
        by_source[invoices.source.values[code]].append(row)
    all_links: list[linking.Links] = []
    for pair in linking.pairs_of(settings, sorted(by_source)):
        links = linking.link_pair(invoices, by_source[pair.left], by_source[pair.right], pair,
                                  manual)
        all_links.append(links)
        yield from rules_invoices.mismatches(rules_invoices.differing(invoices, links), pair,
                                             settings.fuzzy_name_threshold)
        for side, other, linked in ((pair.left, pair.right, links.left),
                                    (pair.right, pair.left, links.right)):
            if pair.require_counterpart in ("both", "left" if side == pair.left else "right"):
                flags = bytearray(len(invoices))
                for row in linked:
                    flags[row] = 1
                yield from rules_invoices.missing(invoices, by_source[side], flags, other, pair)
    del by_source
    yield from rules_invoices.duplicates(invoices, settings.duplicate_window_days)

    numbers = number_index(invoices, prefixes)
    apps = rules_payments.Applications.build(invoices, payments, prefixes, numbers)
    if len(payments) or snapshot.bank_credits:
        evidenced = rules_payments.payment_evidence(invoices, payments, snapshot.bank_credits,
                                                    apps, prefixes, numbers)
        for links in all_links:  # what pays one system's copy of a sale pays the other's
            for left, right in zip(links.left, links.right, strict=True):
                if evidenced[left] or evidenced[right]:
                    evidenced[left] = evidenced[right] = 1
        yield from rules_invoices.paid_without_payment(invoices, evidenced)
    del all_links
    yield from rules_payments.overpayments(invoices, payments, apps)
    del apps
    open_invoices = OpenInvoices.build(invoices, settings.matching,
                                       settings.fuzzy_name_threshold, prefixes, numbers)
    open_invoices.pair_tolerances = {
        (m.payments, m.invoices): (m.amount_tolerance_percent, m.amount_tolerance_fixed)
        for m in settings.matching_pairs}
    yield from rules_payments.unapplied(payments, open_invoices, extra_rules)
    del open_invoices, numbers
    yield from rules_payments.duplicates(payments, settings.duplicate_window_days)


def reconcile(engine: Engine, settings: ReconcileSettings,
              extra_rules: Sequence[MatchRule] = ()) -> ReconcileSummary:
    """Run the reconciler over the store and record the run."""
    with engine.begin() as conn:
        run_id = runs.start(conn, "reconcile", "*", utcnow())
    with runs.recorded(engine, run_id, utcnow):
        with engine.connect() as conn:
            snapshot = load(conn)
            manual = linking.load_manual(conn)
            payout_review = payouts.load(conn)
        found = [lifecycle.encode(f) for f in itertools.chain(
            find_iter(snapshot, settings, extra_rules, manual), payouts.findings(payout_review))]
        summary = ReconcileSummary(run_id, len(snapshot.invoices) + len(snapshot.payments),
                                   Counter(f.kind for f in found))
        del snapshot  # the findings say all the merge needs
        with engine.begin() as conn:
            summary.merge = lifecycle.merge(conn, found, utcnow())
        return summary
