"""Suggestions for a payment that is not (fully) applied: which invoices it pays.

Each suggestion names the invoices, a confidence between 0 and 1 and the
reason in words. The evidence, strongest first:

- an invoice number written in the memo or remittance text;
- the amount equals the balance of one open invoice of the same customer;
- several open invoices of that customer add up exactly to the amount (a
  bounded search: the oldest ``subset_max_invoices`` invoices, combinations of
  up to ``subset_max_size``, found with pair-sum tables, so a customer with
  thousands of open invoices costs the same as one with thirty);
- the amount is within the configured tolerance of a balance (bank fees, FX);
- a smaller amount than a balance: a partial payment;
- the payer's name is only close to a customer's name (rapidfuzz), which
  lowers the confidence of any of the above.

Plugins add rules through the ``hub_match_rules`` hook.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import combinations
from typing import Any

from rapidfuzz import fuzz, process

from hub.money import currency_exponent
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.rows import InvoiceRow, PaymentRow
from hub.reconcile.settings import MatchSettings
from hub.reconcile.tables import InvoiceTable
from hub.reconcile.text import candidate_numbers, human_list, money, name_key, number_keyer


@dataclass(slots=True)
class Suggestion:
    """Apply ``amounts`` of the payment to ``invoices``, with this confidence, because ..."""

    invoices: list[InvoiceRow]
    amounts: list[int]
    confidence: float
    reason: str
    rule: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "invoices": [f"{i.source}:{i.external_id}" for i in self.invoices],
            "numbers": [i.number for i in self.invoices],
            "record_ids": [i.id for i in self.invoices],
            "amounts_minor": self.amounts,
            "confidence": round(self.confidence, 2),
            "reason": self.reason,
            "rule": self.rule,
        }


MatchRule = Callable[[PaymentRow, "OpenInvoices"], Iterable[Suggestion]]
"""A plugin's rule: given a payment and the open invoices, yield suggestions."""


class ByCustomer:
    """Open invoices by customer key (``r:REF`` or ``n:NAME KEY``), the oldest due first.

    Holds table positions; ``get(key)`` builds the invoices' rows.
    """

    __slots__ = ("_groups", "_invoices")

    def __init__(self, invoices: InvoiceTable, groups: dict[str, array[int]]) -> None:
        self._invoices = invoices
        self._groups = groups

    def get(self, key: str, default: Sequence[InvoiceRow] = ()) -> Sequence[InvoiceRow]:
        rows = self._groups.get(key)
        return default if rows is None else self._invoices.rows_of(rows)

    def positions(self, key: str) -> Sequence[int]:
        return self._groups.get(key, ())

    def __contains__(self, key: object) -> bool:
        return key in self._groups

    def __len__(self) -> int:
        return len(self._groups)

    def keys(self) -> Iterator[str]:
        return iter(self._groups)


@dataclass
class OpenInvoices:
    """The open invoices, indexed the ways the rules look them up."""

    settings: MatchSettings
    fuzzy_threshold: int
    prefixes: Sequence[str]
    invoices: InvoiceTable
    numbers: HashIndex
    """Every invoice (its row) by number key, shared with the other rules (built once per run)."""
    by_customer: ByCustomer
    names: dict[str, str] = field(default_factory=dict)  # customer key -> name as written
    pair_tolerances: dict[tuple[str, str], tuple[Decimal, Decimal]] = field(
        default_factory=dict)
    """(payment system, invoice system) -> (percent, fixed amount)."""
    _fuzzy_cache: dict[str, tuple[str, float] | None] = field(default_factory=dict)
    _sorted_names: dict[str, str] | None = None
    _sorted_keys: list[str] = field(default_factory=list)
    _sorted_values: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, invoices: InvoiceTable, settings: MatchSettings,
              fuzzy_threshold: int, prefixes: Sequence[str],
              numbers: HashIndex | None = None) -> OpenInvoices:
        numbers = numbers if numbers is not None else number_index(invoices, prefixes)
        groups: dict[str, list[int]] = defaultdict(list)
        names: dict[str, str] = {}
        keys_of: dict[tuple[int, int], list[str]] = {}
        customer, ref = invoices.customer, invoices.customer_ref
        for row in range(len(invoices)):
            if not _open_row(invoices, row):
                continue
            pair = (customer.codes[row], ref.codes[row])
            keys = keys_of.get(pair)
            if keys is None:
                keys = keys_of[pair] = _customer_keys(customer[row], ref[row])
            for ckey in keys:
                groups[ckey].append(row)
                if ckey.startswith("n:"):
                    names.setdefault(ckey, customer[row] or "")
        due, issued, ids = invoices.due_date, invoices.issue_date, invoices.ids
        ordered = {}
        for ckey, rows in groups.items():
            rows.sort(key=lambda row: (due[row] or issued[row] or _FAR, ids[row]))
            ordered[ckey] = array("I", rows)
        return cls(settings, fuzzy_threshold, prefixes, invoices, numbers,
                   ByCustomer(invoices, ordered), names)

    def open_by_number(self, key: str) -> list[InvoiceRow]:
        """The open invoices with this number key."""
        return self.invoices.rows_of(row for row in self.numbers.get(key)
                                     if _open_row(self.invoices, row))

    def tolerance(self, payment: PaymentRow, invoice: InvoiceRow) -> int:
        """How far (in minor units) the payment may be from the invoice's balance."""
        percent, fixed = self.pair_tolerances.get(
            (payment.source, invoice.source),
            (self.settings.amount_tolerance_percent, self.settings.amount_tolerance_fixed))
        return int(max(Decimal(invoice.balance) * percent / 100,
                       fixed.scaleb(currency_exponent(invoice.currency))))

    def settled_by_memo(self, payment: PaymentRow) -> InvoiceRow | None:
        """An invoice the memo names that its system already counts as paid by this much.

        A processor's export rarely carries the application the ledger made:
        "Payment for INV-1042" of $500 next to a QuickBooks INV-1042 with $500
        paid is the ordinary, settled case, not an unapplied payment.
        """
        invoices = self.invoices
        for key in candidate_numbers(payment.memo, self.prefixes):
            for row in self.numbers.get(key):
                paid = invoices.total[row] - invoices.balance[row]
                if paid > 0 and invoices.currency[row] == payment.currency and (
                        paid >= payment.unapplied):
                    return invoices[row]
        return None

    def customer_invoices(self, payment: PaymentRow) -> tuple[list[InvoiceRow], str | None,
                                                                float]:
        """Open invoices of the payer: (invoices, fuzzy name matched or None, name score)."""
        found: dict[int, None] = {}
        for ckey in _customer_keys(payment.payer, payment.customer_ref):
            found.update(dict.fromkeys(self.by_customer.positions(ckey)))
        if found or not payment.payer:
            return self.invoices.rows_of(found), None, 100.0
        close = self._closest_name(name_key(payment.payer))
        if close is None:
            return [], None, 0.0
        ckey, score = close
        return list(self.by_customer.get(ckey, ())), self.names.get(ckey), score

    def _closest_name(self, key: str) -> tuple[str, float] | None:
        """The customer whose name is closest to ``key`` (token-sort ratio), if close enough.

        Token-sort ratio is the plain ratio of the names with their words sorted;
        the customers' sorted names are prepared once, so each lookup is one
        pass of rapidfuzz's C++ over strings, not a re-tokenisation of them all.
        """
        if not key:
            return None
        if key not in self._fuzzy_cache:
            if self._sorted_names is None:
                self._sorted_names = {ckey: " ".join(sorted(ckey[2:].split()))
                                      for ckey in self.names}
                self._sorted_keys = list(self._sorted_names)
                self._sorted_values = list(self._sorted_names.values())
            query = " ".join(sorted(key.split()))
            best = process.extractOne(query, self._sorted_values, scorer=fuzz.ratio,
                                      score_cutoff=self.fuzzy_threshold)
            self._fuzzy_cache[key] = (self._sorted_keys[best[2]], float(best[1])) if best \
                else None
        return self._fuzzy_cache[key]


_FAR = date(9999, 12, 31)
_CLOSED = frozenset(("void", "draft", "paid", "uncollectible"))


def is_open(inv: InvoiceRow) -> bool:
    """An invoice that still asks for money."""
    return inv.balance > 0 and inv.status not in _CLOSED


def _open_row(invoices: InvoiceTable, row: int) -> bool:
    """:func:`is_open`, read from the table's columns."""
    return invoices.balance[row] > 0 and invoices.status[row] not in _CLOSED


def number_index(invoices: InvoiceTable, prefixes: Sequence[str]) -> HashIndex:
    """Every invoice (its row) by its number key."""
    keyer, numbers = number_keyer(tuple(prefixes)), invoices.number
    return HashIndex(((key, row) for row in range(len(invoices))
                      if (key := keyer(numbers[row]))),
                     lambda row, key: keyer(numbers[row]) == key)


def _customer_keys(name: str | None, ref: str | None) -> list[str]:
    keys = []
    if ref:
        keys.append(f"r:{ref}")
    key = name_key(name)
    if key:
        keys.append(f"n:{key}")
    return keys


def suggest(payment: PaymentRow, open_invoices: OpenInvoices,
            extra_rules: Sequence[MatchRule] = ()) -> list[Suggestion]:
    """Ranked suggestions for what is left of ``payment``, best first."""
    remaining = payment.unapplied
    if remaining <= 0:
        return []
    cur = payment.currency
    out: list[Suggestion] = []
    applied_to = {a.invoice_ref for a in payment.applications if a.invoice_ref}

    def fresh(invs: Iterable[InvoiceRow]) -> list[InvoiceRow]:
        return [i for i in invs if i.currency == cur and i.external_id not in applied_to]

    # 1. invoice numbers in the memo
    for key in sorted(candidate_numbers(payment.memo, open_invoices.prefixes)):
        for inv in fresh(open_invoices.open_by_number(key)):
            amount = min(remaining, inv.balance)
            exact = inv.balance == remaining
            out.append(Suggestion(
                [inv], [amount], 0.98 if exact else 0.9,
                f"the memo names {inv.number}"
                + (f", and the amount equals its balance of {money(inv.balance, cur)}" if exact
                   else f" (balance {money(inv.balance, cur)})"),
                "memo_number"))

    if any(s.confidence >= 0.98 for s in out):
        return _ranked(out, open_invoices.settings.max_suggestions)
    invoices, fuzzy_name, score = open_invoices.customer_invoices(payment)
    invoices = fresh(invoices)
    factor = 1.0 if fuzzy_name is None else 0.85
    who = "" if fuzzy_name is None else (
        f"; the payer {payment.payer!r} looks like the customer {fuzzy_name!r} ({score:.0f}%)")
    settings = open_invoices.settings
    # 2. exact amount on one open invoice of the customer
    exact_ones = [i for i in invoices if i.balance == remaining]
    for inv in exact_ones:
        conf = (0.9 if len(exact_ones) == 1 else 0.75) * factor
        out.append(Suggestion([inv], [remaining], conf,
                              f"the amount equals the balance of {inv.number}, open for "
                              f"{inv.customer or inv.customer_ref}{who}", "exact_amount"))
    # 3. several invoices summing exactly to the amount
    if not exact_ones and len(invoices) >= 2:
        combo = _subset_sum(invoices[: settings.subset_max_invoices], remaining,
                            settings.subset_max_size)
        if combo:
            out.append(Suggestion(combo, [i.balance for i in combo], 0.85 * factor,
                                  f"{human_list([str(i.number) for i in combo])} together "
                                  f"come to exactly {money(remaining, cur)}{who}", "subset_sum"))
    # 4. within the tolerance, 5. partial payment
    for inv in invoices:
        if inv.balance == remaining:
            continue
        diff = abs(inv.balance - remaining)
        if diff <= open_invoices.tolerance(payment, inv):
            out.append(Suggestion(
                [inv], [min(remaining, inv.balance)], 0.7 * factor,
                f"the amount is {money(diff, cur)} "
                f"{'short of' if remaining < inv.balance else 'more than'} the balance of "
                f"{inv.number} ({money(inv.balance, cur)}): a bank fee or exchange "
                f"difference?{who}", "tolerance"))
        elif remaining < inv.balance:
            out.append(Suggestion(
                [inv], [remaining], 0.45 * factor,
                f"a partial payment of {inv.number} (balance {money(inv.balance, cur)}){who}",
                "partial"))
    for rule in extra_rules:
        out.extend(rule(payment, open_invoices))
    return _ranked(out, settings.max_suggestions)


def _ranked(items: list[Suggestion], limit: int) -> list[Suggestion]:
    best: dict[tuple[int, ...], Suggestion] = {}
    for s in items:
        key = tuple(sorted(i.id for i in s.invoices))
        if key not in best or s.confidence > best[key].confidence:
            best[key] = s
    ordered = sorted(best.values(), key=lambda s: (
        -s.confidence, min((i.due_date or i.issue_date or _FAR) for i in s.invoices)))
    return ordered[:limit]


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
