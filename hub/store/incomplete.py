"""``incomplete_sync`` findings: a source stated totals the hub did not receive.

A sync run compares what a source states of its own totals (a QuickBooks
``COUNT`` query, a file's control-total row) with what the hub has
(:mod:`hub.store.controls`). Where they disagree, the connector and entity get
one finding, keyed by both, that names both figures; it stays open while the
newest comparison for them disagrees and is resolved when a later one agrees.
The sync raises and resolves it at once (:func:`settle`); every reconcile run
finds it again from the stored comparisons (:func:`found`), so a reconcile
never resolves it early.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import orjson
from sqlalchemy.engine import Connection

from hub.money import from_minor_units
from hub.store import audit
from hub.store import findings as store_findings
from hub.store.controls import Control, latest_controls
from hub.store.findings import FindingValues, StoredFinding

KIND = "incomplete_sync"
ACTOR = "billing-hub"


def key_of(connector: str, entity: str) -> str:
    """The key of the finding of ``connector``'s ``entity``."""
    return f"{KIND}:{connector}:{entity}"


def _plural(entity: str, n: int | None) -> str:
    word = entity.replace("_", " ")
    return word if n == 1 else f"{word}s"


def describe(control: Control) -> str:
    """The comparison in words: both figures, and the difference."""
    parts: list[str] = []
    held_what = "this sync stored" if control.covers == "pull" else "the hub holds"
    if control.stated_count is not None and control.held_count != control.stated_count:
        held = control.held_count or 0
        gap = control.stated_count - held
        parts.append(
            f"{control.stated_count:,} {_plural(control.entity, control.stated_count)} stated, "
            f"{held_what} {held:,} ({abs(gap):,} {'fewer' if gap > 0 else 'more'})")
    for currency, (stated, held_minor) in sorted(control.sums.items()):
        if stated != held_minor:
            s, h = (from_minor_units(v, currency) for v in (stated, held_minor))
            parts.append(f"{currency} {s:,} stated, {held_what} {currency} {h:,} "
                         f"(a difference of {currency} {s - h:,})")
    if control.quarantined_count:
        parts.append(f"{control.quarantined_count:,} quarantined "
                     "(`billing-hub quarantine list` shows why)")
    return "; ".join(parts)


def values_of(control: Control) -> FindingValues:
    """The finding of a control that disagrees, as the store keeps it."""
    gaps = [(c, s - h) for c, (s, h) in sorted(control.sums.items()) if s != h]
    currency, money = (gaps[0][0], abs(gaps[0][1])) if len(gaps) == 1 else (None, None)
    details = {"connector": control.connector, "entity": control.entity,
               "basis": control.basis, "covers": control.covers,
               "stated_count": control.stated_count, "held_count": control.held_count,
               "quarantined": control.quarantined_count,
               "sums": {c: {"stated": str(from_minor_units(s, c)),
                            "held": str(from_minor_units(h, c))}
                        for c, (s, h) in sorted(control.sums.items())}}
    return FindingValues(
        key_of(control.connector, control.entity), KIND, "high", "[]", None, currency, money,
        f"{control.connector}: the {control.entity.replace('_', ' ')} totals do not agree "
        f"with the source's own ({control.basis}): {describe(control)}",
        orjson.dumps(details, option=orjson.OPT_SORT_KEYS, default=str).decode())


def _said(row: StoredFinding) -> tuple[object, ...]:
    """What a stored finding says, as :meth:`FindingValues.compared` gives it."""
    return (row.kind, row.severity, orjson.dumps(sorted(row.record_ids)).decode(),
            row.customer, row.currency, row.money_at_stake_minor, row.explanation,
            orjson.dumps(row.details, option=orjson.OPT_SORT_KEYS, default=str).decode())


def found(conn: Connection) -> list[FindingValues]:
    """The findings of every connector and entity whose newest comparison disagrees."""
    return [values_of(c) for c in latest_controls(conn) if c.short]


def settle(conn: Connection, controls: Sequence[Control], now: datetime) -> None:
    """After a comparison: raise (or reopen, or update) the finding of each control that
    disagrees, and resolve the open one of each control that agrees."""
    keys = {key_of(c.connector, c.entity): c for c in controls}
    existing = {f.key: f for f in store_findings.select(conn, statuses=(), kinds=[KIND])
                if f.key in keys}
    for key, control in keys.items():
        row = existing.get(key)
        if control.short:
            values = values_of(control)
            if row is None:
                store_findings.insert(conn, [values], status="open", now=now)
            elif row.status == "resolved":
                store_findings.found_again(conn, row.id, values, now=now,
                                           reopen_as=("open", ACTOR))
                audit.record(conn, "finding.reopened", subject=f"finding:{row.id}",
                             actor=ACTOR, details={"key": key, "why": "found again"}, at=now)
            elif _said(row) != values.compared():
                store_findings.found_again(conn, row.id, values, now=now)
        elif row is not None and row.status in ("open", "acknowledged"):
            store_findings.set_status(conn, row.id, "resolved", actor=ACTOR, resolved_at=now,
                                      now=now,
                                      note="resolved automatically: a later sync received "
                                           "every record the source stated")
            audit.record(conn, "finding.auto_resolved", subject=f"finding:{row.id}",
                         actor=ACTOR, details={"key": key, "kind": KIND}, at=now)
