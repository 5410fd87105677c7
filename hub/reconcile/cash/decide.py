"""What one receipt pays, from the invoices its memo names and the invoices its payer owes.

:func:`named` reads what the memo's references say against the open balances
(full, several invoices, short by a fee or a discount, an instalment, more than
asked); :func:`by_payer` what the amount says when the memo names nothing (one
balance, a combination of balances, one balance less a fee). Every suggestion
carries a kind, the amounts to apply and a reason naming its evidence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

from hub.contract.rows import InvoiceRow, PaymentRow
from hub.contract.rules import Suggestion
from hub.money import currency_exponent
from hub.reconcile.cash.refs import Strength
from hub.reconcile.settings import MatchSettings
from hub.reconcile.text import human_list, money

FULL, MANY, PARTIAL, SHORT, OVER = "full", "many", "partial", "short_fee", "overpayment"

NAMED_EXACT = 0.98
NAMED_WEAK_EXACT = 0.93
NAMED_SHORT = 0.9
NAMED_PARTIAL = 0.85
NAMED_OVER = 0.85
NAMED_REST = 0.88
"""The memo names some of the invoices and the rest of the amount is exactly others of the
payer's."""
PAYER_EXACT_ONE = 0.9
PAYER_EXACT_SEVERAL = 0.7
PAYER_SUBSET_ONE = 0.86
PAYER_SUBSET_SEVERAL = 0.5
PAYER_SHORT = 0.75
PAYER_PARTIAL = 0.45
CLOSE_NAME = 0.85
"""The factor on what the amount says when the payer was found by a close name only."""

_DISCOUNT_WORDS = re.compile(
    r"skonto|discount|rabatt|escompte|descuento|pronto pago|sconto|korting|alennus|"
    r"kassarabatt|upust|\d\s?%", re.I)
_MORE_WORDS = re.compile(r"\betc\b|m\.?\s?fl\b|and others|u\.a\b|et al|i inne|y otras|en andere",
                         re.I)


@dataclass(frozen=True, slots=True)
class Named:
    """An invoice the memo names, with its open balance as of this receipt."""

    invoice: InvoiceRow
    strength: Strength
    written: str


def _fee_cap(settings: MatchSettings, currency: str) -> int:
    cap = settings.bank_fee_max.get(currency)
    if cap is None:
        cap = settings.amount_tolerance_fixed
    return int(Decimal(cap).scaleb(currency_exponent(currency)))


def short_by(settings: MatchSettings, amount: int, balance: int, currency: str,
             memo: str, tolerance: int = 0, *, fees: bool = True) -> tuple[str, int] | None:
    """Why ``amount`` may settle ``balance`` though it is less: (what, minor units short).

    A discount (one of ``discount_percents`` of the balance, stated in the memo unless
    ``discount_needs_memo`` is off), a bank charge (up to ``bank_fee_max`` of the
    currency and ``bank_fee_share`` of the balance; not when ``fees`` is off: a pair
    of systems with its own tolerance) or within the configured ``tolerance`` (minor
    units).
    """
    diff = balance - amount
    if diff <= 0:
        return None
    stated = bool(_DISCOUNT_WORDS.search(memo or ""))
    for percent in settings.discount_percents:
        expected = int((Decimal(balance) * percent / 100).to_integral_value())
        if abs(expected - diff) <= 1 and (stated or not settings.discount_needs_memo):
            return f"discount of {percent}%", diff
    if fees and diff <= _fee_cap(settings, currency) and (
            diff <= balance * settings.bank_fee_share / 100):
        return "bank charge", diff
    if diff <= tolerance:
        return "within the configured tolerance", diff
    return None


def _why_short(what: tuple[str, int], currency: str) -> str:
    label, diff = what
    return f"less {money(diff, currency)} ({'a ' + label if label == 'bank charge' else label})"


def _part_paid(invoice: InvoiceRow) -> bool:
    """Paid in part before (by earlier receipts or in its own system): a payment of the
    rest is its last instalment."""
    return 0 < invoice.balance < invoice.total


def _numbers(invoices: Sequence[InvoiceRow]) -> str:
    return human_list([str(i.number or i.external_id) for i in invoices])


def subsets(invoices: Sequence[InvoiceRow], target: int, max_size: int, limit: int = 2
            ) -> list[list[InvoiceRow]]:
    """Up to ``limit`` sets of 1..``max_size`` of the first 24 invoices whose balances add
    up to ``target``, smallest sets first (all of them first, when they add up).

    Pair sums in a hash table make sizes 2, 3 and 4 cost O(n²) lookups, not O(n⁴)
    enumeration; larger sizes are searched among the first 12 only.
    """
    found: list[list[InvoiceRow]] = []
    if len(invoices) > 1 and sum(i.balance for i in invoices) == target:
        found.append(list(invoices))
    pool = list(invoices[:24])
    bal = [i.balance for i in pool]
    n = len(pool)

    def add(combo: Sequence[int]) -> bool:
        chosen = [pool[i] for i in sorted(combo)]
        if chosen not in found:
            found.append(chosen)
        return len(found) >= limit

    for i in range(n):
        if bal[i] == target and add((i,)):
            return found
    if max_size < 2 or n < 2:
        return found
    pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a in range(n):
        for b in range(a + 1, n):
            pairs[bal[a] + bal[b]].append((a, b))
    for combo in pairs.get(target, ()):
        if add(combo):
            return found
    if max_size >= 3:
        for c in range(n):
            for a, b in pairs.get(target - bal[c], ()):
                if c < a and add((a, b, c)):
                    return found
    if max_size >= 4:
        for (a, b) in (pair for group in pairs.values() for pair in group):
            for c, d in pairs.get(target - bal[a] - bal[b], ()):
                if b < c and add((a, b, c, d)):
                    return found
    for size in range(5, max_size + 1):
        for many in combinations(range(min(n, 12)), size):
            if sum(bal[i] for i in many) == target and add(many):
                return found
    return found


def named(payment: PaymentRow, hits: Sequence[Named], others: Sequence[InvoiceRow],
          settings: MatchSettings, tolerance: int = 0, fees: bool = True) -> list[Suggestion]:
    """Suggestions from the open invoices the memo names (in the payment's currency);
    ``others`` are the payer's other open invoices in that currency."""
    amount, cur, memo = payment.unapplied, payment.currency, payment.memo
    invoices = [h.invoice for h in hits]
    if not invoices:
        return []
    weak = any(h.strength == Strength.WEAK for h in hits)
    written = human_list([repr(h.written) for h in hits])
    total = sum(i.balance for i in invoices)
    out: list[Suggestion] = []
    if amount == total:
        kind = FULL if len(invoices) == 1 else MANY
        last = kind == FULL and _part_paid(invoices[0])
        out.append(Suggestion(
            invoices, [i.balance for i in invoices], NAMED_WEAK_EXACT if weak else NAMED_EXACT,
            f"the memo names {_numbers(invoices)} ({written}) and the amount equals "
            f"{'its balance' if kind == FULL else 'their balances'} of {money(total, cur)}"
            + (": the last instalment, it settles the invoice" if last else ""),
            "memo_reference", PARTIAL if last else kind))
        return out
    if amount < total:
        if len(invoices) > 1:
            for combo in subsets(invoices, amount, len(invoices) - 1, limit=1):
                out.append(Suggestion(
                    combo, [i.balance for i in combo], NAMED_SHORT,
                    f"the memo names {_numbers(invoices)}; {_numbers(combo)} of them come to "
                    f"exactly {money(amount, cur)}", "memo_reference",
                    FULL if len(combo) == 1 else MANY))
        short = short_by(settings, amount, total, cur, memo, tolerance, fees=fees)
        if short is not None:
            out.append(Suggestion(
                invoices, [i.balance for i in invoices], NAMED_SHORT,
                f"the memo names {_numbers(invoices)} ({written}); the amount is its balance "
                f"of {money(total, cur)} {_why_short(short, cur)}", "memo_reference", SHORT))
        elif not out:
            left, amounts = amount, []
            for inv in invoices:
                part = min(left, inv.balance)
                amounts.append(part)
                left -= part
            paid = [(i, a) for i, a in zip(invoices, amounts, strict=True) if a > 0]
            out.append(Suggestion(
                [i for i, _ in paid], [a for _, a in paid], NAMED_PARTIAL,
                f"the memo names {_numbers(invoices)} ({written}); {money(amount, cur)} is an "
                f"instalment of {'its' if len(invoices) == 1 else 'their'} "
                f"{money(total, cur)}, leaving {money(total - amount, cur)} open",
                "memo_reference", PARTIAL))
        return out
    excess = amount - total
    rest = [i for i in others if i.id not in {n.id for n in invoices}]
    combos = subsets(rest, excess, settings.subset_max_size, limit=2)
    if len(combos) == 1 or (combos and _MORE_WORDS.search(memo or "")):
        combo = combos[0]
        every = invoices + combo
        out.append(Suggestion(
            every, [i.balance for i in every], NAMED_REST,
            f"the memo names {_numbers(invoices)} ({written}); the other "
            f"{money(excess, cur)} is exactly the balance of {_numbers(combo)} of the same "
            "payer", "memo_reference", MANY))
    else:
        out.append(Suggestion(
            invoices, [i.balance for i in invoices], NAMED_OVER,
            f"the memo names {_numbers(invoices)} ({written}) but the amount is "
            f"{money(excess, cur)} more than {'its' if len(invoices) == 1 else 'their'} "
            f"balance of {money(total, cur)}; no other open invoice of the payer explains the "
            "excess, which stays unapplied", "memo_reference", OVER))
    return out


def by_payer(payment: PaymentRow, invoices: Sequence[InvoiceRow], settings: MatchSettings,
             who: str, close: bool, tolerance: Callable[[InvoiceRow], int] = lambda _i: 0,
             fees: bool = True) -> list[Suggestion]:
    """Suggestions from the payer's open invoices in the payment's currency, oldest due
    first, when the memo names none of them."""
    amount, cur = payment.unapplied, payment.currency
    factor = CLOSE_NAME if close else 1.0
    out: list[Suggestion] = []
    exact = [i for i in invoices if i.balance == amount]
    for inv in exact:
        last = _part_paid(inv)
        out.append(Suggestion(
            [inv], [amount], (PAYER_EXACT_ONE if len(exact) == 1 else PAYER_EXACT_SEVERAL)
            * factor,
            f"{who}; the amount equals the balance of {inv.number}"
            + ("" if len(exact) == 1 else f", one of {len(exact)} invoices with that balance")
            + (", the rest after earlier instalments" if last else ""),
            "exact_amount", PARTIAL if last else FULL))
    if not exact and len(invoices) >= 2:
        combos = [c for c in subsets(invoices, amount, settings.subset_max_size, limit=2)
                  if len(c) > 1]
        for combo in combos:
            out.append(Suggestion(
                combo, [i.balance for i in combo],
                (PAYER_SUBSET_ONE if len(combos) == 1 else PAYER_SUBSET_SEVERAL) * factor,
                f"{who}; {_numbers(combo)} together come to exactly {money(amount, cur)}"
                + ("" if len(combos) == 1 else " (another combination does too)"),
                "subset_sum", MANY))
    if not exact:
        shorts = [(i, s) for i in invoices
                  if (s := short_by(settings, amount, i.balance, cur, payment.memo,
                                     tolerance(i), fees=fees))]
        for inv, short in shorts:
            out.append(Suggestion(
                [inv], [inv.balance], (PAYER_SHORT if len(shorts) == 1 else 0.5) * factor,
                f"{who}; the amount is the balance of {inv.number} "
                f"({money(inv.balance, cur)}) {_why_short(short, cur)}", "tolerance", SHORT))
        for inv in invoices:
            if 0 < amount - inv.balance <= tolerance(inv):
                out.append(Suggestion(
                    [inv], [inv.balance], PAYER_SHORT * factor,
                    f"{who}; the amount is {money(amount - inv.balance, cur)} more than the "
                    f"balance of {inv.number} ({money(inv.balance, cur)}), within the "
                    "configured tolerance: an exchange difference? The excess stays unapplied",
                    "tolerance", OVER))
    for inv in invoices:
        if amount < inv.balance and not any(s.invoices == [inv] for s in out):
            out.append(Suggestion(
                [inv], [amount], PAYER_PARTIAL * factor,
                f"{who}; a part payment of {inv.number} (balance {money(inv.balance, cur)})?",
                "partial", PARTIAL))
    return out
