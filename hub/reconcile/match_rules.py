"""The built-in match rules: the evidence that an unapplied payment pays an invoice.

Strongest first, each registered in this order by :mod:`hub.reconcile.default_rules`:

- ``memo_number``: an invoice number written in the memo or remittance text
  (with the exact amount, it settles the payment: no later rule is asked);
- ``exact_amount``: the amount equals the balance of one open invoice of the
  same customer;
- ``subset_sum``: several open invoices of that customer add up exactly to the
  amount (a bounded search: the oldest ``subset_max_invoices`` invoices,
  combinations of up to ``subset_max_size``, found with pair-sum tables, so a
  customer with thousands of open invoices costs the same as one with thirty);
- ``tolerance``: the amount is within the configured tolerance of a balance
  (bank fees, FX);
- ``partial``: a smaller amount than a balance.

A payer found only by a name close to a customer's (rapidfuzz) lowers the
confidence of the customer's rules and says so in the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import combinations

from hub.contract.rows import InvoiceRow, PaymentRow
from hub.contract.rules import OpenInvoices, Suggestion
from hub.reconcile.default_rules import MEMO_EXACT
from hub.reconcile.matching import OpenInvoiceIndex
from hub.reconcile.text import human_list, money

MEMO_NUMBER = 0.9
EXACT_ONE = 0.9
"""The only open invoice of the customer with exactly the amount ..."""
EXACT_SEVERAL = 0.75
"""... or one of several."""
SUBSET = 0.85
TOLERANCE = 0.7
PARTIAL = 0.45
CLOSE_NAME = 0.85
"""The factor on the customer's rules when the payer was found by a close name only."""


def _fresh(payment: PaymentRow, invoices: Iterable[InvoiceRow]) -> list[InvoiceRow]:
    """The invoices in the payment's currency that its applications do not name yet."""
    applied_to = {a.invoice_ref for a in payment.applications if a.invoice_ref}
    return [i for i in invoices
            if i.currency == payment.currency and i.external_id not in applied_to]


def _payer(payment: PaymentRow, open_invoices: OpenInvoices
           ) -> tuple[Sequence[InvoiceRow], float, str]:
    """The payer's open invoices, the factor on the confidence, and what to add to a reason."""
    found = open_invoices.payer_invoices(payment)
    if found.close_name is None:
        return found.invoices, 1.0, ""
    return found.invoices, CLOSE_NAME, (
        f"; the payer {payment.payer!r} looks like the customer {found.close_name!r} "
        f"({found.score:.0f}%)")


def memo_number(payment: PaymentRow, open_invoices: OpenInvoices) -> Iterator[Suggestion]:
    """Invoices whose number is written in the memo."""
    remaining, cur = payment.unapplied, payment.currency
    for key in sorted(open_invoices.numbers_in(payment.memo)):
        for inv in _fresh(payment, open_invoices.open_by_number(key)):
            amount = min(remaining, inv.balance)
            exact = inv.balance == remaining
            yield Suggestion(
                [inv], [amount], MEMO_EXACT if exact else MEMO_NUMBER,
                f"the memo names {inv.number}"
                + (f", and the amount equals its balance of {money(inv.balance, cur)}" if exact
                   else f" (balance {money(inv.balance, cur)})"),
                "memo_number")


def exact_amount(payment: PaymentRow, open_invoices: OpenInvoices) -> Iterator[Suggestion]:
    """An open invoice of the payer whose balance is exactly the amount."""
    remaining = payment.unapplied
    invoices, factor, who = _payer(payment, open_invoices)
    exact_ones = [i for i in invoices if i.balance == remaining]
    for inv in exact_ones:
        conf = (EXACT_ONE if len(exact_ones) == 1 else EXACT_SEVERAL) * factor
        yield Suggestion([inv], [remaining], conf,
                         f"the amount equals the balance of {inv.number}, open for "
                         f"{inv.customer or inv.customer_ref}{who}", "exact_amount")


def subset_sum(payment: PaymentRow, open_invoices: OpenInvoices) -> Iterator[Suggestion]:
    """Several open invoices of the payer that add up exactly to the amount, when no
    single one does."""
    remaining = payment.unapplied
    invoices, factor, who = _payer(payment, open_invoices)
    if len(invoices) < 2 or any(i.balance == remaining for i in invoices):
        return
    if not isinstance(open_invoices, OpenInvoiceIndex):
        raise TypeError("subset_sum needs the reconciler's own open invoices")
    settings = open_invoices.settings
    combo = _subset_sum(invoices[: settings.subset_max_invoices], remaining,
                        settings.subset_max_size)
    if combo:
        yield Suggestion(combo, [i.balance for i in combo], SUBSET * factor,
                         f"{human_list([str(i.number) for i in combo])} together "
                         f"come to exactly {money(remaining, payment.currency)}{who}",
                         "subset_sum")


def tolerance(payment: PaymentRow, open_invoices: OpenInvoices) -> Iterator[Suggestion]:
    """An open invoice of the payer whose balance is within the tolerance of the amount."""
    remaining, cur = payment.unapplied, payment.currency
    invoices, factor, who = _payer(payment, open_invoices)
    for inv in invoices:
        if inv.balance == remaining:
            continue
        diff = abs(inv.balance - remaining)
        if diff <= open_invoices.tolerance(payment, inv):
            yield Suggestion(
                [inv], [min(remaining, inv.balance)], TOLERANCE * factor,
                f"the amount is {money(diff, cur)} "
                f"{'short of' if remaining < inv.balance else 'more than'} the balance of "
                f"{inv.number} ({money(inv.balance, cur)}): a bank fee or exchange "
                f"difference?{who}", "tolerance")


def partial(payment: PaymentRow, open_invoices: OpenInvoices) -> Iterator[Suggestion]:
    """An open invoice of the payer with a larger balance (not within the tolerance)."""
    remaining, cur = payment.unapplied, payment.currency
    invoices, factor, who = _payer(payment, open_invoices)
    for inv in invoices:
        if remaining < inv.balance and (
                inv.balance - remaining > open_invoices.tolerance(payment, inv)):
            yield Suggestion(
                [inv], [remaining], PARTIAL * factor,
                f"a partial payment of {inv.number} (balance {money(inv.balance, cur)}){who}",
                "partial")


def _subset_sum(invoices: Sequence[InvoiceRow], target: int, max_size: int
                ) -> list[InvoiceRow] | None:
    """The smallest set (2..max_size, max 4) of invoices whose balances sum to ``target``.

    Pair sums in a hash table make sizes 2, 3 and 4 cost O(n²) lookups, not
    O(n⁴) enumeration; larger sizes are searched only among the first 12.
    """
    n = len(invoices)
    bal = [i.balance for i in invoices]
    pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a in range(n):
        for b in range(a + 1, n):
            pairs[bal[a] + bal[b]].append((a, b))
    if target in pairs:
        a, b = pairs[target][0]
        return [invoices[a], invoices[b]]
    if max_size >= 3:
        for c in range(n):
            for a, b in pairs.get(target - bal[c], ()):
                if c not in (a, b):
                    return [invoices[i] for i in sorted((a, b, c))]
    if max_size >= 4:
        for (a, b) in (p for ps in pairs.values() for p in ps):
            for c, d in pairs.get(target - bal[a] - bal[b], ()):
                if len({a, b, c, d}) == 4:
                    return [invoices[i] for i in sorted((a, b, c, d))]
    for size in range(5, max_size + 1):
        for combo in combinations(range(min(n, 12)), size):
            if sum(bal[i] for i in combo) == target:
                return [invoices[i] for i in combo]
    return None
