"""A finding's age, counted from the money's date, in words a coordinator reads.

The reconciler dates each finding by its money (:mod:`hub.reconcile.dating`):
an invoice's due date, a payment's received date. The age runs from that
date, not from the day the hub first saw the problem: a payment received on
20 September and first reconciled on 3 December is 74 days old. The CLI, the
reports and the web page all say it the same way, through :func:`age`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.reconcile.dating import MONEY_DATE
from hub.reconcile.lifecycle import StoredFinding

_UNAPPLIED = ("unapplied_payment", "partly_applied_payment")


@dataclass(frozen=True, slots=True)
class Age:
    """How old a finding is on a given day, and from what."""

    days: int
    """Days since the money's date (negative: an invoice not yet due)."""
    since: date
    what: str
    """``due``, ``received``, ``issued``, ``arrival`` (a payout due at the bank), or
    ``found`` (no money date: the day the reconciler first saw it)."""
    text: str


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def since(f: StoredFinding) -> date:
    """The day ``f``'s age runs from: its money's date, else the day it was first seen."""
    dated = f.details.get(MONEY_DATE) if isinstance(f.details, dict) else None
    if isinstance(dated, dict) and "on" in dated:
        return date.fromisoformat(str(dated["on"]))
    return f.first_seen_at.date()


def age(f: StoredFinding, today: date) -> Age:
    """The age of ``f`` on ``today``, from its money's date."""
    dated = f.details.get(MONEY_DATE) if isinstance(f.details, dict) else None
    if not isinstance(dated, dict) or "on" not in dated:
        since = f.first_seen_at.date()
        n = (today - since).days
        return Age(n, since, "found", f"found {since}, {_days(n)} ago")
    since, what = date.fromisoformat(str(dated["on"])), str(dated.get("what") or "")
    n = (today - since).days
    if what == "due" and n < 0:
        text = f"due {since}, in {_days(-n)}"
    elif what == "due" and n == 0:
        text = f"due today, {since}"
    elif what == "due" and dated.get("open", True):
        text = f"overdue {_days(n)} since due {since}"
    elif what == "received" and f.kind in _UNAPPLIED:
        text = f"received {since}, unapplied {_days(n)}"
    elif what == "arrival":
        text = f"due at the bank {since}, {_days(n)} ago"
    else:
        text = f"{what} {since}, {_days(n)} ago"
    return Age(n, since, what, text)
