"""Processor payouts against bank deposits.

A processor (Stripe) does not send each payment to the bank: it pays out the
day's payments minus its fees and the refunds, in one transfer. This module
finds the bank deposit each payout became and says what it is made of, so
the difference a coordinator sees between the invoices paid and the money in
the bank is explained (fees, refunds), and flags a payout that never reached
the bank, or reached it with another amount.

A deposit is matched to a payout by, first, the payout's id in the bank
line's text; else by the exact amount in the payout's currency booked within
a window of business days around the payout's arrival date
(:class:`ArrivalWindow`, ``[reconcile.payouts]``). Each deposit explains at
most one payout, and nothing is guessed: a payout that several deposits fit,
or a deposit that several payouts fit, is *ambiguous* and says which.

A payout without a deposit is *missing* only when the bank lines of its
currency cover its whole window; before the first line or after the last it
is *not yet verifiable*, since the bank data cannot say either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import orjson

from hub.contract.names import record_name
from hub.models import Payout
from hub.money import to_minor_units
from hub.reconcile.kinds import Finding, Kind
from hub.reconcile.rules_payments import day
from hub.reconcile.settings import PayoutSettings
from hub.reconcile.text import money
from hub.store import Connection, reading

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

    before: int = 2
    after: int = 3

    @classmethod
    def of(cls, settings: PayoutSettings) -> ArrivalWindow:
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


@dataclass(slots=True)
class PayoutReview:
    """Every payout with its deposit, and the days each currency's bank lines cover."""

    matches: list[PayoutMatch]
    bank_range: dict[str, tuple[date, date]]

    def deposit_owners(self) -> dict[int, str]:
        """Bank line id -> the payout that explains it, or the payouts one of which
        surely does (a deposit several payouts fit). When several deposits fit one
        payout, only one of them is its deposit, so none is claimed."""
        owners: dict[int, str] = {}
        for m in self.matches:
            if m.deposit is not None:
                owners[m.deposit.id] = f"the payout {m.name}"
            elif m.state is PayoutState.AMBIGUOUS and m.rivals:
                which = " or ".join(sorted([m.name, *m.rivals]))
                owners[m.candidates[0].id] = (f"a payout ({which}: see "
                                              "`billing-hub payouts`)")
        return owners


def load(conn: Connection, window: ArrivalWindow | None = None) -> PayoutReview:
    """Read payouts and the deposits that could match them, then match them."""
    window = window or ArrivalWindow()
    payouts = [(record_id, Payout.model_validate_json(data))
               for record_id, data in reading.payouts(conn)]
    bank_range = reading.bank_lines_range(conn)
    if not payouts:
        return PayoutReview([], bank_range)
    currencies = sorted({p.currency for _, p in payouts})
    first = window.around(min(p.arrival_date for _, p in payouts))[0]
    last = window.around(max(p.arrival_date for _, p in payouts))[1]
    deposits = list(_deposits(conn, currencies, first, last))
    return PayoutReview(match(payouts, deposits, window, bank_range), bank_range)


def _deposits(conn: Connection, currencies: Sequence[str], first: date, last: date
              ) -> Iterable[Deposit]:
    for record_id, source, ext, currency, data, booked in reading.deposits(conn, currencies,
                                                                          first, last):
        values = orjson.loads(data)
        text = " ".join(str(values.get(k) or "") for k in ("description", "reference",
                                                             "counterparty"))
        yield Deposit(record_id, source, ext, currency, Decimal(values["amount"]), booked,
                      text.lower())


def match(payouts: Sequence[tuple[int, Payout]], deposits: Sequence[Deposit],
          window: ArrivalWindow | None = None,
          bank_range: dict[str, tuple[date, date]] | None = None) -> list[PayoutMatch]:
    """Pair each payout with at most one deposit and each deposit with at most one payout;
    say where every payout stands."""
    window = window or ArrivalWindow()
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


def not_verifiable_why(m: PayoutMatch, review: PayoutReview) -> str:
    """Why the bank data cannot confirm a payout's deposit yet."""
    cur = m.payout.currency
    covered = review.bank_range.get(cur)
    if covered is None:
        return f"no {cur} bank lines"
    return (f"{cur} bank lines run {covered[0]:%Y-%m-%d} to {covered[1]:%Y-%m-%d}; "
            f"the deposit may be booked {m.window[0]:%Y-%m-%d} to {m.window[1]:%Y-%m-%d}")


def breakdown(p: Payout) -> str:
    """``payments $2,000.00 - fees $58.60 - refunds $50.00``, as far as the payout tells."""
    if not p.transactions:
        return "no breakdown (a manual payout)"
    cur = p.currency

    def fmt(value: Decimal) -> str:
        return money(to_minor_units(value, cur), cur)

    parts = [f"payments {fmt(p.gross)}", f"fees {fmt(p.fees)}"]
    if p.refunds:
        parts.append(f"refunds {fmt(p.refunds)}")
    text = " - ".join(parts)
    if p.other:
        text += f" {'+' if p.other > 0 else '-'} other {fmt(abs(p.other))}"
    return text


def findings(review: PayoutReview) -> list[Finding]:
    """A payout that never reached the bank, reached it with another amount, or whose
    deposit cannot be told apart from another's. A payout the bank data does not
    cover yet is no finding."""
    out = []
    for m in review.matches:
        p, cur = m.payout, m.payout.currency
        amount = money(to_minor_units(p.amount, cur), cur)
        what = f"{p.source} payout {p.external_id} of {amount} ({breakdown(p)})"
        first, last = m.window
        if m.state is PayoutState.MISSING:
            covered = review.bank_range[cur]
            out.append(Finding(
                key=f"payout_without_deposit:{p.source}:{p.external_id}",
                kind=Kind.PAYOUT_WITHOUT_DEPOSIT, record_ids=[m.record_id],
                explanation=(
                    f"The {what} was due at the bank on {day(p.arrival_date)}, but no "
                    f"deposit of {amount} was booked between {day(first)} and {day(last)}; "
                    f"the bank lines run from {day(covered[0])} to {day(covered[1])}. Check "
                    "the payout's destination account, or whether the bank booked it under "
                    "another amount."),
                currency=cur, money_at_stake=p.amount,
                details={"payout": m.name, "arrival_date": p.arrival_date.isoformat()},
            ))
        elif m.state is PayoutState.AMBIGUOUS:
            lines = ", ".join(f"{d.name} of {day(d.booked)}" for d in m.candidates)
            why = (f"the bank lines {lines} all fit it" if len(m.candidates) > 1 else
                   f"the bank line {lines} fits it and also {', '.join(m.rivals)}")
            out.append(Finding(
                key=f"payout_deposit_ambiguous:{p.source}:{p.external_id}",
                kind=Kind.PAYOUT_DEPOSIT_AMBIGUOUS,
                record_ids=[m.record_id, *(d.id for d in m.candidates)],
                explanation=(
                    f"The {what}, due at the bank on {day(p.arrival_date)}, cannot be told "
                    f"apart by amount and date: {why}. Nothing was matched; ask the bank "
                    "for the payout's reference on the deposit, or link them by hand."),
                currency=cur, money_at_stake=p.amount,
                details={"payout": m.name, "arrival_date": p.arrival_date.isoformat(),
                         "deposits": ", ".join(d.name for d in m.candidates)},
            ))
        elif m.deposit is not None and m.difference:
            d = m.deposit
            got = money(to_minor_units(d.amount, cur), cur)
            gap = money(to_minor_units(abs(m.difference), cur), cur)
            out.append(Finding(
                key=f"payout_deposit_mismatch:{p.source}:{p.external_id}",
                kind=Kind.PAYOUT_DEPOSIT_MISMATCH, record_ids=[m.record_id, d.id],
                explanation=(
                    f"The bank line of {day(d.booked)} names the {what}, but {got} was "
                    f"deposited: {gap} {'more' if m.difference > 0 else 'less'} than the "
                    "payout."),
                currency=cur, money_at_stake=abs(m.difference),
                details={"payout": m.name, "deposit": d.name},
            ))
    return out
