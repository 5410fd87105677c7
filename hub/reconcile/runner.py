"""One reconcile run: read the store, apply every rule, merge the findings.

It works on the store only and never calls an outside system, so it can run
after every sync, on a schedule, or by hand, as often as wanted: a run on
unchanged data changes no finding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from hub.reconcile import lifecycle, linking, measures, payouts
from hub.reconcile.cash.run import Decision
from hub.reconcile.context import RunContext
from hub.reconcile.copies import count_once
from hub.reconcile.dating import MoneyDates
from hub.reconcile.kinds import Finding
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.sending import SendingPolicy
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import Snapshot, load
from hub.store import Connection, Engine, links, runs, trend
from hub.store.clock import utcnow


@dataclass(slots=True)
class ReconcileSummary:
    """What a run found and what it changed in the stored findings."""

    run_id: int
    records: int
    by_kind: Counter[str] = field(default_factory=Counter)
    invoices: int = 0
    receipts: int = 0
    """Payments and money-in bank lines: what cash application matches to invoices."""
    merge: lifecycle.MergeResult = field(default_factory=lifecycle.MergeResult)

    @property
    def found(self) -> int:
        return sum(self.by_kind.values())


def find(snapshot: Snapshot, settings: ReconcileSettings, rules: RuleSet | None = None,
         manual: linking.ManualLinks | None = None) -> list[Finding]:
    """Every finding the data shows (pure: no database)."""
    return list(find_iter(snapshot, settings, rules, manual))


def find_iter(snapshot: Snapshot, settings: ReconcileSettings, rules: RuleSet | None = None,
              manual: linking.ManualLinks | None = None,
              payout_review: payouts.PayoutReview | None = None) -> Iterator[Finding]:
    """:func:`find`, one finding at a time, so that a caller need not keep them all.

    ``rules`` are the registered rules (by default the built-in ones alone);
    each finding rule is handed the run's :class:`RunContext`, in order.
    Each finding carries its money's date in its details (:mod:`hub.reconcile.dating`).
    """
    rules = rules if rules is not None else RuleSet.builtin()
    context = RunContext(snapshot, settings, rules.match, manual, payout_review)
    return MoneyDates(snapshot).dated(rules.findings(context))


def reconcile(engine: Engine, settings: ReconcileSettings,
              rules: RuleSet | None = None,
              sending: SendingPolicy | None = None) -> ReconcileSummary:
    """Run the reconciler over the store and record the run.

    ``rules`` are the rules the plugins registered (``registry.rules()``); by
    default the built-in ones alone. ``sending``: whose invoices must be sent how
    soon (``[invoicing]``; :func:`hub.invoicing.settings.sending_policy`).
    """
    with engine.begin() as conn:
        run_id = runs.start(conn, "reconcile", "*", utcnow())
    with runs.recorded(engine, run_id, utcnow):
        with engine.connect() as conn:
            snapshot = load(conn, sending)
            manual = linking.load_manual(conn)
            payout_review = payouts.load(conn, payouts.ArrivalWindow.of(settings.payouts))
            stored_links = list(links.linked(conn))
        rules = rules if rules is not None else RuleSet.builtin()
        context = RunContext(snapshot, settings, rules.match, manual, payout_review)
        found = [lifecycle.encode(f) for f in MoneyDates(snapshot).dated(rules.findings(context))]
        by_currency = measures.measure(context, count_once(snapshot, settings, manual,
                                                           stored_links))
        summary = ReconcileSummary(
            run_id, len(snapshot.invoices) + len(snapshot.payments),
            Counter(f.kind for f in found), len(snapshot.invoices),
            len(snapshot.payments) + sum(1 for b in snapshot.bank_lines if b.amount > 0))
        del snapshot, context  # the findings and the measures say all the rest needs
        with engine.begin() as conn:
            now = utcnow()
            summary.merge = lifecycle.merge(conn, found, now)
            _keep_measures(conn, run_id, now, by_currency)
        return summary


def _keep_measures(conn: Connection, run_id: int, now: datetime,
                   by_currency: dict[str, trend.Measure]) -> None:
    """Keep the run's measures for the trend, with the open findings after its merge."""
    open_kinds = trend.open_by_kind(conn)
    for o in open_kinds:
        by_currency.setdefault(o.currency, trend.Measure()).open_findings += o.count
    trend.record(conn, run_id, now, by_currency, open_kinds)


def nothing_to_match(invoices: int, receipts: int) -> str | None:
    """Why cash application can match nothing in a store this full, or ``None``."""
    if receipts and not invoices:
        return (f"{receipts:,} payment(s) and bank credit(s) but no invoice in the store: "
                "nothing can be matched. Sync an invoice list (a connector or CSV file with "
                "entity = \"invoice\").")
    if invoices and not receipts:
        return (f"{invoices:,} invoice(s) but no payment or money-in bank line in the store: "
                "nothing to apply. Sync a bank statement (entity = \"bank_transaction\") "
                "or a payment export.")
    return None


def cash_decisions(engine: Engine, settings: ReconcileSettings,
                   rules: RuleSet | None = None) -> list[Decision]:
    """How each receipt in the store is applied, as the reconciler decides it (read only:
    nothing is written)."""
    rules = rules if rules is not None else RuleSet.builtin()
    with engine.connect() as conn:
        snapshot = load(conn)
        manual = linking.load_manual(conn)
        payout_review = payouts.load(conn, payouts.ArrivalWindow.of(settings.payouts))
    return RunContext(snapshot, settings, rules.match, manual, payout_review).cash
