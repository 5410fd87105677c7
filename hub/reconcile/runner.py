"""One reconcile run: read the store, apply every rule, merge the findings.

It works on the store only and never calls an outside system, so it can run
after every sync, on a schedule, or by hand, as often as wanted: a run on
unchanged data changes no finding.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from hub.reconcile import lifecycle, linking, payouts, rules_invoices, rules_payments
from hub.reconcile.kinds import Finding
from hub.reconcile.matching import MatchRule, OpenInvoices, number_index
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import InvoiceRow, Snapshot, load
from hub.store import runs
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
    manual = manual or linking.ManualLinks(set(), set())
    prefixes = settings.number_prefixes
    by_source: dict[str, list[InvoiceRow]] = defaultdict(list)
    for inv in snapshot.invoices:
        by_source[inv.source].append(inv)
    out: list[Finding] = []
    all_links: list[linking.Link] = []
    for pair in linking.pairs_of(settings, sorted(by_source)):
        pair_links = linking.link_pair(by_source[pair.left], by_source[pair.right], pair,
                                       manual)
        all_links.extend(pair_links)
        out.extend(rules_invoices.mismatches(pair_links, pair, settings.fuzzy_name_threshold))
        left_linked = {link.left.id for link in pair_links}
        right_linked = {link.right.id for link in pair_links}
        if pair.require_counterpart in ("both", "left"):
            out.extend(rules_invoices.missing(by_source[pair.left], left_linked, pair.right,
                                              pair))
        if pair.require_counterpart in ("both", "right"):
            out.extend(rules_invoices.missing(by_source[pair.right], right_linked, pair.left,
                                              pair))
    out.extend(rules_invoices.duplicates(snapshot.invoices, settings.duplicate_window_days))

    numbers = number_index(snapshot.invoices, prefixes)
    apps = rules_payments.Applications.build(snapshot.invoices, snapshot.payments, prefixes,
                                             numbers)
    if snapshot.payments or snapshot.bank_credits:
        evidenced = rules_payments.payment_evidence(snapshot.invoices, snapshot.payments,
                                                    snapshot.bank_credits, apps, prefixes)
        for link in all_links:  # what pays one system's copy of a sale pays the other's
            if link.left.id in evidenced or link.right.id in evidenced:
                evidenced.add(link.left.id)
                evidenced.add(link.right.id)
        out.extend(rules_invoices.paid_without_payment(snapshot.invoices, evidenced))
    out.extend(rules_payments.overpayments(snapshot.invoices, apps))
    open_invoices = OpenInvoices.build(snapshot.invoices, settings.matching,
                                       settings.fuzzy_name_threshold, prefixes, numbers)
    open_invoices.pair_tolerances = {
        (m.payments, m.invoices): (m.amount_tolerance_percent, m.amount_tolerance_fixed)
        for m in settings.matching_pairs}
    out.extend(rules_payments.unapplied(snapshot.payments, open_invoices, extra_rules))
    out.extend(rules_payments.duplicates(snapshot.payments, settings.duplicate_window_days))
    return out


def reconcile(engine: Engine, settings: ReconcileSettings,
              extra_rules: Sequence[MatchRule] = ()) -> ReconcileSummary:
    """Run the reconciler over the store and record the run."""
    with engine.begin() as conn:
        run_id = runs.start(conn, "reconcile", "*", utcnow())
    status, error = runs.FAILED, None
    try:
        with engine.connect() as conn:
            snapshot = load(conn)
            manual = linking.load_manual(conn)
            payout_review = payouts.load(conn)
        found = find(snapshot, settings, extra_rules, manual)
        found.extend(payouts.findings(payout_review))
        summary = ReconcileSummary(run_id, len(snapshot.invoices) + len(snapshot.payments),
                                   Counter(f.kind.value for f in found))
        with engine.begin() as conn:
            summary.merge = lifecycle.merge(conn, found, utcnow())
        status = runs.SUCCEEDED
        return summary
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with engine.begin() as conn:
            runs.finish(conn, run_id, status, utcnow(), error)
