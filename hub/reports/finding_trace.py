"""A finding's own history, for ``billing-hub findings show`` (and the web page later):
each change of its status or of what it says, with the time and who made it.

Built on ``finding_history`` (:func:`hub.store.findings.history_of`): a row is written
when a finding is first found, when a reconcile run finds it saying something else, and
when a person (or the reconciler reopening it) changes its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.money import from_minor_units
from hub.reconcile.lifecycle import RECONCILER
from hub.store import Connection
from hub.store import findings as store_findings

FOUND = "found"
STATUS = "status"
SAYS = "says"


@dataclass(frozen=True, slots=True)
class FindingChange:
    """One change of a finding: when, by whom, what kind of change, its status then, the
    fields that changed (empty for the first state), and what it said then."""

    at: datetime
    actor: str
    change: str
    status: str
    changed: tuple[str, ...]
    explanation: str
    at_stake: str | None
    note: str | None


_SAID = ("severity", "customer", "currency", "money_at_stake_minor", "explanation",
         "record_ids")
_SET = ("status", "note")


def _stake(s: store_findings.FindingState) -> str | None:
    if s.money_at_stake_minor is None or not s.currency:
        return None
    return f"{s.currency} {from_minor_units(s.money_at_stake_minor, s.currency)}"


def changes(conn: Connection, finding_id: int, *, until: datetime | None = None
            ) -> list[FindingChange]:
    """The finding's changes, oldest first, up to ``until`` (all when None). A state that
    repeats the one before (nothing a person would see changed) is left out."""
    out: list[FindingChange] = []
    before: store_findings.FindingState | None = None
    for s in store_findings.history_of(conn, finding_id, until=until):
        if before is None:
            out.append(FindingChange(s.at, RECONCILER, FOUND, s.status, (), s.explanation,
                                     _stake(s), s.note))
        else:
            set_ = tuple(f for f in _SET if getattr(s, f) != getattr(before, f))
            said = tuple(f for f in _SAID if getattr(s, f) != getattr(before, f))
            if set_ or said:
                actor = (s.actor or RECONCILER) if set_ else RECONCILER
                out.append(FindingChange(s.at, actor, STATUS if set_ else SAYS, s.status,
                                         set_ + said, s.explanation, _stake(s), s.note))
        before = s
    return out


__all__ = ["FOUND", "SAYS", "STATUS", "FindingChange", "changes"]
