"""Processor payouts against bank deposits.

A processor (Stripe) does not send each payment to the bank: it pays out the
day's payments minus its fees and the refunds, in one transfer. This module
finds the bank deposit each payout became and says what it is made of, so
the difference a coordinator sees between the invoices paid and the money in
the bank is explained (fees, refunds), and flags a payout that never reached
the bank, or reached it with another amount.

A deposit is matched to a payout by, first, the payout's id in the bank
line's text, then by the exact amount in the payout's currency booked within
a few days of the payout's arrival date (closest first). Each deposit
explains at most one payout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import orjson

from hub.contract.names import record_name
from hub.models import Payout
from hub.money import to_minor_units
from hub.reconcile.kinds import Finding, Kind
from hub.reconcile.rules_payments import day
from hub.reconcile.text import money
from hub.store import Connection, reading

EARLY_DAYS = 2
"""A bank may book a deposit this many days before the payout's expected arrival."""
LATE_DAYS = 5
"""... or this many days after it (weekends, bank holidays)."""
ARRIVING = ("paid", "in_transit")
"""Payout statuses that mean money is, or will be, in the bank."""


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


@dataclass(slots=True)
class PayoutMatch:
    """A payout, the deposit it became (if found) and how it was found."""

    record_id: int
    payout: Payout
    deposit: Deposit | None = None
    how: str = ""
    """``reference`` (the payout's id in the bank text) or ``amount and date``."""

    @property
    def difference(self) -> Decimal:
        """Deposit minus payout; zero when the bank got exactly the payout."""
        return Decimal(0) if self.deposit is None else self.deposit.amount - self.payout.amount


@dataclass(slots=True)
class PayoutReview:
    """Every payout with its deposit, and how far each currency's bank lines reach."""

    matches: list[PayoutMatch]
    bank_until: dict[str, date]


def load(conn: Connection) -> PayoutReview:
    """Read payouts and the deposits that could match them, then match them."""
    payouts = [(record_id, Payout.model_validate_json(data))
               for record_id, data in reading.payouts(conn)]
    bank_until = reading.bank_lines_until(conn)
    if not payouts:
        return PayoutReview([], bank_until)
    currencies = sorted({p.currency for _, p in payouts})
    first = min(p.arrival_date for _, p in payouts) - timedelta(days=EARLY_DAYS)
    last = max(p.arrival_date for _, p in payouts) + timedelta(days=LATE_DAYS)
    deposits = list(_deposits(conn, currencies, first, last))
    return PayoutReview(match(payouts, deposits), bank_until)


def _deposits(conn: Connection, currencies: Sequence[str], first: date, last: date
              ) -> Iterable[Deposit]:
    for record_id, source, ext, currency, data, booked in reading.deposits(conn, currencies,
                                                                          first, last):
        values = orjson.loads(data)
        text = " ".join(str(values.get(k) or "") for k in ("description", "reference",
                                                             "counterparty"))
        yield Deposit(record_id, source, ext, currency, Decimal(values["amount"]), booked,
                      text.lower())


def match(payouts: Sequence[tuple[int, Payout]], deposits: Sequence[Deposit]
          ) -> list[PayoutMatch]:
    """Pair each payout with at most one deposit and each deposit with at most one payout."""
    matches = [PayoutMatch(record_id, p) for record_id, p in
               sorted(payouts, key=lambda rp: (rp[1].arrival_date, rp[1].external_id))]
    used: set[int] = set()
    for m in matches:  # the payout's id written in the bank line settles it
        ref = m.payout.external_id.lower()
        for d in deposits:
            if d.id not in used and d.currency == m.payout.currency and ref in d.text:
                m.deposit, m.how = d, "reference"
                used.add(d.id)
                break
    by_amount: dict[tuple[str, Decimal], list[Deposit]] = defaultdict(list)
    for d in deposits:
        by_amount[(d.currency, d.amount)].append(d)
    for m in matches:
        if m.deposit is not None or m.payout.amount <= 0:
            continue
        arrival = m.payout.arrival_date
        fitting = [d for d in by_amount[(m.payout.currency, m.payout.amount)]
                   if d.id not in used
                   and -EARLY_DAYS <= (d.booked - arrival).days <= LATE_DAYS]
        if fitting:
            best = min(fitting, key=lambda d: (abs((d.booked - arrival).days),
                                               "stripe" not in d.text, d.id))
            m.deposit, m.how = best, "amount and date"
            used.add(best.id)
    return matches


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
    """A payout that never reached the bank, or reached it with another amount."""
    out = []
    for m in review.matches:
        p, cur = m.payout, m.payout.currency
        amount = money(to_minor_units(p.amount, cur), cur)
        what = f"{p.source} payout {p.external_id} of {amount} ({breakdown(p)})"
        if m.deposit is None:
            until = review.bank_until.get(cur)
            latest = p.arrival_date + timedelta(days=LATE_DAYS)
            if p.status not in ARRIVING or p.amount <= 0 or until is None or until < latest:
                continue  # not due yet, or the bank lines do not reach that far
            out.append(Finding(
                key=f"payout_without_deposit:{p.source}:{p.external_id}",
                kind=Kind.PAYOUT_WITHOUT_DEPOSIT, record_ids=[m.record_id],
                explanation=(
                    f"The {what} was due at the bank on {day(p.arrival_date)}, but no "
                    f"deposit of {amount} was booked between "
                    f"{day(p.arrival_date - timedelta(days=EARLY_DAYS))} and {day(latest)}; "
                    f"the bank lines run to {day(until)}. Check the payout's destination "
                    "account, or whether the bank booked it under another amount."),
                currency=cur, money_at_stake=p.amount,
                details={"payout": record_name(p.source, "payout", p.external_id),
                         "arrival_date": p.arrival_date.isoformat()},
            ))
        elif m.difference:
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
                details={"payout": record_name(p.source, "payout", p.external_id),
                         "deposit": record_name(d.source, "bank_transaction", d.external_id)},
            ))
    return out
