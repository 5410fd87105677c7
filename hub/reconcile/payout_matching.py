"""Which bank deposit each processor payout became: the matching itself.

A deposit is a payout's when the payout's id is in the bank line's text;
else when it has the payout's exact amount and currency and was booked in
the payout's :class:`ArrivalWindow`, and it is the only deposit that fits
the payout and the payout the only one it fits. What several fit is
ambiguous; what none fits is missing, or not yet verifiable when the bank
lines of its currency do not cover its window (:class:`PayoutState`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from hub.contract.names import record_name
from hub.models import Payout
from hub.reconcile.settings import PayoutSettings

ARRIVING = ("paid", "in_transit")
"""Payout statuses that mean money is, or will be, in the bank."""


class PayoutState(StrEnum):
    """Where a payout stands against the bank data."""

    MATCHED = "matched"
    AMBIGUOUS = "ambiguous"
    NOT_YET_VERIFIABLE = "not yet verifiable"
    MISSING = "missing"
    NOT_EXPECTED = "no deposit expected"


@dataclass(frozen=True, slots=True)
class ArrivalWindow:
    """The days a bank may book a payout's deposit: ``before`` business days before
    its arrival date to ``after`` business days after it (Monday to Friday; a
    weekend inside the range counts too)."""

    before: int
    after: int

    @classmethod
    def of(cls, settings: PayoutSettings | None = None) -> ArrivalWindow:
        """The window ``[reconcile.payouts]`` sets (its defaults when not given)."""
        settings = settings or PayoutSettings()
        return cls(settings.days_before, settings.days_after)

    def around(self, arrival: date) -> tuple[date, date]:
        """The first and last day of the window around ``arrival``."""
        return _business_days(arrival, -self.before), _business_days(arrival, self.after)


def _business_days(start: date, count: int) -> date:
    step = 1 if count >= 0 else -1
    at, left = start, abs(count)
    while left:
        at += timedelta(days=step)
        if at.weekday() < 5:
            left -= 1
    return at


@dataclass(frozen=True, slots=True)
class Deposit:
    """A money-in bank line as the matching sees it."""

    id: int
    source: str
    external_id: str
    currency: str
    amount: Decimal
    booked: date
    text: str

    @property
    def name(self) -> str:
        return record_name(self.source, "bank_transaction", self.external_id)


@dataclass(slots=True)
class PayoutMatch:
    """A payout, the deposit it became (if found), how it was found and where it stands."""

    record_id: int
    payout: Payout
    window: tuple[date, date]
    deposit: Deposit | None = None
    how: str = ""
    """``reference`` (the payout's id in the bank text) or ``amount and date``."""
    candidates: list[Deposit] = field(default_factory=list)
    """When it is ambiguous: the deposits that fit it (one, which other payouts fit too,
    or several)."""
    rivals: list[str] = field(default_factory=list)
    """Other payouts (names) its one fitting deposit fits as well (ambiguous)."""
    state: PayoutState = PayoutState.MISSING

    @property
    def difference(self) -> Decimal:
        """Deposit minus payout; zero when the bank got exactly the payout."""
        return Decimal(0) if self.deposit is None else self.deposit.amount - self.payout.amount

    @property
    def name(self) -> str:
        return record_name(self.payout.source, "payout", self.payout.external_id)


def match(payouts: Sequence[tuple[int, Payout]], deposits: Sequence[Deposit],
          window: ArrivalWindow | None = None,
          bank_range: dict[str, tuple[date, date]] | None = None) -> list[PayoutMatch]:
    """Pair each payout with at most one deposit and each deposit with at most one payout;
    say where every payout stands."""
    window = window or ArrivalWindow.of()
    matches = [PayoutMatch(record_id, p, window.around(p.arrival_date)) for record_id, p in
               sorted(payouts, key=lambda rp: (rp[1].arrival_date, rp[1].external_id))]
    used: set[int] = set()
    for m in matches:  # the payout's id written in the bank line settles it
        ref = m.payout.external_id.lower()
        for d in deposits:
            if d.id not in used and d.currency == m.payout.currency and ref in d.text:
                m.deposit, m.how = d, "reference"
                used.add(d.id)
                break
    _by_amount(matches, deposits, used)
    for m in matches:
        m.state = _state(m, (bank_range or {}).get(m.payout.currency))
    return matches


def _by_amount(matches: list[PayoutMatch], deposits: Sequence[Deposit], used: set[int]) -> None:
    """Match by amount and window where exactly one deposit fits exactly one payout,
    again until nothing changes; what is left with several fits is ambiguous."""
    by_amount: dict[tuple[str, Decimal], list[Deposit]] = defaultdict(list)
    for d in deposits:
        by_amount[(d.currency, d.amount)].append(d)
    waiting = [m for m in matches if m.deposit is None and m.payout.amount > 0]

    def fits(m: PayoutMatch) -> list[Deposit]:
        first, last = m.window
        return [d for d in by_amount[(m.payout.currency, m.payout.amount)]
                if d.id not in used and first <= d.booked <= last]

    changed = True
    while changed:
        changed = False
        fitting = {id(m): fits(m) for m in waiting}
        takers: dict[int, list[PayoutMatch]] = defaultdict(list)
        for m in waiting:
            for d in fitting[id(m)]:
                takers[d.id].append(m)
        for m in waiting:
            found = fitting[id(m)]
            if len(found) == 1 and len(takers[found[0].id]) == 1:
                m.deposit, m.how = found[0], "amount and date"
                used.add(found[0].id)
                changed = True
        waiting = [m for m in waiting if m.deposit is None]
    for m in waiting:
        m.candidates = fits(m)
        if len(m.candidates) == 1:
            m.rivals = [o.name for o in waiting if o is not m and m.candidates[0] in fits(o)]


def _state(m: PayoutMatch, covered: tuple[date, date] | None) -> PayoutState:
    if m.deposit is not None:
        return PayoutState.MATCHED
    if m.candidates:
        return PayoutState.AMBIGUOUS
    if m.payout.status not in ARRIVING or m.payout.amount <= 0:
        return PayoutState.NOT_EXPECTED
    first, last = m.window
    if covered is None or first < covered[0] or last > covered[1]:
        return PayoutState.NOT_YET_VERIFIABLE
    return PayoutState.MISSING
