"""Cash application over one run: every receipt, in booking order, and what it is.

A receipt is a payment record with money not applied, or a bank credit that
no payment record or processor payout accounts for. Each is decided in turn:

1. money out, and credits that are the bank's or the company's own
   (:mod:`hub.reconcile.cash.classify`), are *not a customer's payment*;
2. the same amount, payer and memo booked again within the window is a
   *duplicate* of the earlier receipt (an instalment carries its own memo);
3. a memo naming an invoice its system already counts as paid by this
   receipt is *settled*;
4. otherwise the match rules (the built-in ones and any plugin's) suggest
   what it pays; the best suggestion at or above ``confident`` is the
   decision (*full*, *many*, *partial*, *short_fee*, *overpayment*), and the
   balances it pays count as paid for the receipts after it;
5. failing that, a memo naming an open invoice in another currency is held
   as *wrong_currency*, one naming only paid or void invoices as
   *names_closed_invoice*; a credit from nobody known is classified if it can
   be, and *unknown* otherwise.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from hub.contract.rows import InvoiceRow, PaymentRow
from hub.contract.rules import Suggestion
from hub.reconcile.cash import decide
from hub.reconcile.cash.balances import Reading
from hub.reconcile.cash.classify import not_customer
from hub.reconcile.cash.names import printed_words
from hub.reconcile.matching import OpenInvoiceIndex
from hub.reconcile.settings import MatchSettings

DUPLICATE = "duplicate_of"
NOT_CUSTOMER = "not_customer_payment"
UNKNOWN = "unknown"
WRONG_CURRENCY = "wrong_currency"
CLOSED = "names_closed_invoice"
SETTLED = "settled"
"""The memo names an invoice its system already counts as paid by this receipt."""
APPLIED = "applied"
"""A payment record applied in full in its own system: nothing left to decide."""
ELSEWHERE = "booked_elsewhere"
"""A bank credit that a payment record or a processor payout accounts for."""
MATCHED = (decide.FULL, decide.MANY, decide.PARTIAL, decide.SHORT, decide.OVER)
KINDS = (*MATCHED, DUPLICATE, NOT_CUSTOMER, UNKNOWN, WRONG_CURRENCY, CLOSED, SETTLED,
         APPLIED, ELSEWHERE)
_FAR = date(9999, 12, 31)
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class Decision:
    """What one receipt is, with the evidence."""

    receipt: PaymentRow
    bank: bool
    kind: str
    reason: str
    suggestions: list[Suggestion] = field(default_factory=list)
    invoices: list[InvoiceRow] = field(default_factory=list)
    original: PaymentRow | None = None
    category: str | None = None
    confidence: float = 0.0
    payer: str = ""

    @property
    def label(self) -> str:
        return self.receipt.record_name

    def as_dict(self) -> dict[str, object]:
        """The decision as a report or a finding's details keep it."""
        return {
            "record": self.label, "kind": self.kind, "reason": self.reason,
            "invoices": [i.record_name for i in self.invoices],
            "numbers": [i.number for i in self.invoices],
            "confidence": round(self.confidence, 2), "category": self.category,
            "original": self.original.record_name if self.original else None,
            "payer": self.payer,
        }


def _payer_text(p: PaymentRow) -> str:
    """The memo as the payer wrote it: without the record's own id (a charge id)."""
    memo = p.memo or ""
    if p.reference:
        memo = memo.replace(p.reference, " ")
    return _SPACE.sub(" ", memo).strip()


def _memo_key(p: PaymentRow) -> str:
    return _payer_text(p).casefold()


def _payer_key(p: PaymentRow) -> str:
    words = printed_words(p.payer)
    return " ".join(sorted(words[0])) if words else (p.customer_ref or "")


class _Duplicates:
    """Earlier receipts by what a second booking of them would share."""

    def __init__(self, window: int, apart: Callable[[int, int], bool]) -> None:
        self.window = window
        self.apart = apart
        """Whether a person said two receipts (by record id) are two payments."""
        self.seen: dict[tuple[str, str, int, str], list[Decision]] = defaultdict(list)

    def original(self, p: PaymentRow, balances: Callable[[InvoiceRow], int]
                 ) -> tuple[Decision, str] | None:
        who = _payer_key(p)
        if not who or p.received is None:
            return None
        memo = _memo_key(p)
        for earlier in reversed(self.seen.get((p.source, p.currency, p.amount, who), ())):
            first = earlier.receipt
            assert first.received is not None
            if self.apart(first.id, p.id):
                continue
            gap = (p.received - first.received).days
            if not 0 <= gap <= self.window:
                continue
            first_memo = _memo_key(first)
            if memo and first_memo == memo:
                return earlier, f"the same memo ({_payer_text(first)!r})"
            if memo or first_memo:
                continue  # an instalment carries its own memo
            if earlier.kind == decide.PARTIAL and any(balances(i) >= p.amount
                                                     for i in earlier.invoices):
                continue  # the next instalment of what the first one part-paid
            if _different_applications(first, p):
                continue
            return earlier, "no memo on either"
        return None

    def add(self, decision: Decision) -> None:
        p = decision.receipt
        who = _payer_key(p)
        if who:
            self.seen[(p.source, p.currency, p.amount, who)].append(decision)


def _different_applications(first: PaymentRow, second: PaymentRow) -> bool:
    if not (first.applications and second.applications):
        return False
    return {a.invoice_ref or a.invoice_number for a in first.applications} != {
        a.invoice_ref or a.invoice_number for a in second.applications}


def _gap(first: PaymentRow, second: PaymentRow) -> str:
    assert first.received and second.received
    days = (second.received - first.received).days
    return "the same day" if days == 0 else f"{days} day{'s' if days > 1 else ''} later"


def decide_all(receipts: Iterable[tuple[PaymentRow, bool]], index: OpenInvoiceIndex,
               suggest: Callable[[PaymentRow], list[Suggestion]], settings: MatchSettings,
               explained: Callable[[PaymentRow, bool], str | None] = lambda _p, _b: None,
               apart: Callable[[int, int], bool] = lambda _a, _b: False
               ) -> list[Decision]:
    """Every receipt's decision, in booking order (date, then the order given).

    ``receipts`` are (receipt, is a bank line) pairs; ``explained`` says why a
    receipt is booked elsewhere (or ``None``); ``apart`` whether a person said two
    receipts (by record id) are two payments, never one booked twice.
    """
    ordered = sorted(receipts, key=lambda pair: pair[0].received or _FAR)
    dups = _Duplicates(settings.duplicate_window_days, apart)
    out: list[Decision] = []
    for p, bank in ordered:
        decision = _decide(p, bank, index, suggest, settings, dups, explained)
        if decision.kind in MATCHED and decision.confidence >= settings.confident:
            best = decision.suggestions[0]
            amounts = ([i.balance for i in best.invoices] if best.kind == decide.SHORT
                       else best.amounts)
            index.consume(best.invoices, amounts)
        if decision.kind not in (NOT_CUSTOMER, ELSEWHERE, DUPLICATE):
            dups.add(decision)
        out.append(decision)
    return out


def _decide(p: PaymentRow, bank: bool, index: OpenInvoiceIndex,
            suggest: Callable[[PaymentRow], list[Suggestion]], settings: MatchSettings,
            dups: _Duplicates, explained: Callable[[PaymentRow, bool], str | None]) -> Decision:
    if bank and p.amount < 0:
        category = not_customer(p.amount, p.payer, p.memo, settings.not_customer)
        return Decision(p, bank, NOT_CUSTOMER, "money out is not a customer's payment",
                        category=category)
    if why := explained(p, bank):
        return Decision(p, bank, ELSEWHERE, why)
    found = dups.original(p, index.balance_now)
    if found is not None:
        earlier, why = found
        return Decision(
            p, bank, DUPLICATE,
            f"the same amount from the same payer with {why}, {_gap(earlier.receipt, p)} "
            f"than {earlier.label}: one payment booked twice, not an instalment",
            original=earlier.receipt, invoices=list(earlier.invoices))
    if p.unapplied <= 0:
        return Decision(p, bank, APPLIED, "applied in full in its own system")
    settled = index.settled_by_memo(p)
    if settled is not None:
        return Decision(p, bank, SETTLED,
                        f"{settled.source} already counts {settled.number} as paid by it",
                        invoices=[settled])
    reading = index.reading(p)
    if not reading.named_open and (reading.named_closed or reading.named_other_currency):
        return _held(p, bank, reading)
    ideas = suggest(p)
    if ideas and ideas[0].confidence >= settings.confident:
        best = ideas[0]
        return Decision(p, bank, best.kind or _kind_of(best, p), best.reason, ideas,
                        list(best.invoices), confidence=best.confidence,
                        payer=reading.payer.how)
    if bank and not reading.payer.known:
        category = not_customer(p.amount, p.payer, p.memo, settings.not_customer)
        if category:
            return Decision(p, bank, NOT_CUSTOMER, f"a {category.replace('_', ' ')}",
                            category=category)
    why = ("no open invoice of the payer fits it" if reading.payer.known
           else "the payer is not a known customer and the memo names no open invoice")
    held = index.quarantined_in(p.memo)
    if held:
        entry, number, reason = held[0]
        why += (f"; the memo names {number}, an invoice held in quarantine (#{entry}: "
                f"{reason}): fix that row and sync again")
    return Decision(p, bank, UNKNOWN, why, ideas, payer=reading.payer.how)


def _held(p: PaymentRow, bank: bool, reading: Reading) -> Decision:
    """The memo names only invoices that cannot take it: in another currency, or closed."""
    if reading.named_other_currency:
        inv = reading.named_other_currency[0]
        return Decision(p, bank, WRONG_CURRENCY,
                        f"the memo names {inv.number}, which is in {inv.currency}, but the "
                        f"payment came in {p.currency}: convert and apply it by hand",
                        invoices=[inv], payer=reading.payer.how)
    inv = reading.named_closed[0]
    state = "void" if inv.status == "void" else "already paid"
    return Decision(p, bank, CLOSED,
                    f"the memo names {inv.number}, which is {state}: hold the money and ask "
                    "the payer (a second payment? a replaced invoice?)",
                    invoices=[inv], payer=reading.payer.how)


def _kind_of(s: Suggestion, p: PaymentRow) -> str:
    """A kind for a plugin's suggestion that gave none."""
    total = sum(i.balance for i in s.invoices)
    if p.unapplied == total:
        return decide.FULL if len(s.invoices) == 1 else decide.MANY
    return decide.PARTIAL if p.unapplied < total else decide.OVER


def receipts_of(payments: Sequence[PaymentRow], bank_lines: Sequence[PaymentRow]
                ) -> list[tuple[PaymentRow, bool]]:
    """Payments first, then bank lines, each in the order given (record order)."""
    return [(p, False) for p in payments] + [(b, True) for b in bank_lines]
