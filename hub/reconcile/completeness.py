"""``incomplete_sync`` findings for the reconciler: a source's own totals (a count, a
control-total row) that the hub did not receive in full.

The sync compares and raises them (:mod:`hub.store.incomplete`); a reconcile
run finds them again from the newest comparison of each connector and entity,
so it keeps them open until a later sync agrees with the source.
"""

from __future__ import annotations

import orjson

from hub.money import from_minor_units
from hub.reconcile.kinds import Finding, Severity
from hub.store import Connection, incomplete


def found(conn: Connection) -> list[Finding]:
    """The open ``incomplete_sync`` findings the newest comparisons make."""
    out = []
    for v in incomplete.found(conn):
        money = (None if v.money_at_stake_minor is None or v.currency is None
                 else from_minor_units(v.money_at_stake_minor, v.currency))
        out.append(Finding(key=v.key, kind=v.kind, record_ids=[], explanation=v.explanation,
                           currency=v.currency, money_at_stake=money,
                           severity=Severity(v.severity), details=orjson.loads(v.details)))
    return out
