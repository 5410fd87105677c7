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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import orjson

from hub.models import Payout
from hub.money import to_minor_units
from hub.reconcile.kinds import Finding, Kind
from hub.reconcile.payout_matching import (
    ArrivalWindow,
    Deposit,
    PayoutMatch,
    PayoutState,
    match,
)
from hub.reconcile.rules_payments import day
from hub.reconcile.text import money
from hub.store import Connection, reading

__all__ = ["ArrivalWindow", "Deposit", "PayoutMatch", "PayoutReview", "PayoutState",
           "breakdown", "findings", "load", "match", "not_verifiable_why"]


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
    window = window or ArrivalWindow.of()
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
