"""The reconciler: findings a coordinator can act on.

It reads the store (never an outside system), links the same invoice across
systems, applies the rules in :mod:`rules_invoices` and :mod:`rules_payments`,
suggests what unapplied payments pay (:mod:`matching`) and merges the
findings into the store by their stable keys (:mod:`lifecycle`).
"""

from hub.reconcile.kinds import Finding, Kind, Severity
from hub.reconcile.runner import ReconcileSummary, find, reconcile

__all__ = ["Finding", "Kind", "ReconcileSummary", "Severity", "find", "reconcile"]
