"""Suggestions for a payment that is not (fully) applied: which invoices it pays.

The open invoices are indexed once per run (:class:`OpenInvoiceIndex`), and
:func:`suggest` shows each unapplied payment to every registered match rule
(:class:`hub.contract.rules.MatchRuleSpec`), in order, then ranks what they
suggest by confidence. The built-in rules (an invoice number in the memo, the
exact amount, several invoices summing to it, within tolerance, a partial
payment) are in :mod:`hub.reconcile.match_rules`, registered through the
``hub_match_rules`` hook like a plugin's.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rapidfuzz import fuzz, process

from hub.contract.rows import InvoiceRow, PaymentRow
from hub.contract.rules import MatchRuleSpec, PayerInvoices, Suggestion
from hub.errors import PluginError
from hub.money import currency_exponent
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.settings import MatchSettings
from hub.reconcile.tables import InvoiceTable
from hub.reconcile.text import candidate_numbers, name_key, number_keyer


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
class OpenInvoiceIndex:
    """The open invoices, indexed the ways the rules look them up
    (:class:`hub.contract.rules.OpenInvoices` is what a match rule may ask of it)."""

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
    _payer: tuple[PaymentRow, PayerInvoices] | None = None

    @classmethod
    def build(cls, invoices: InvoiceTable, settings: MatchSettings,
              fuzzy_threshold: int, prefixes: Sequence[str],
              numbers: HashIndex | None = None) -> OpenInvoiceIndex:
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

    def numbers_in(self, text: str) -> set[str]:
        """The keys of the invoice numbers written in ``text``."""
        return candidate_numbers(text, self.prefixes)

    def payer_invoices(self, payment: PaymentRow) -> PayerInvoices:
        """The payer's open invoices in the payment's currency that its applications do
        not name yet (worked out once for the payment that the rules are shown)."""
        if self._payer is not None and self._payer[0] is payment:
            return self._payer[1]
        found, close_name, score = self.customer_invoices(payment)
        applied_to = {a.invoice_ref for a in payment.applications if a.invoice_ref}
        fresh = tuple(i for i in found
                      if i.currency == payment.currency and i.external_id not in applied_to)
        answer = PayerInvoices(fresh, close_name, score)
        self._payer = (payment, answer)
        return answer

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


def suggest(payment: PaymentRow, open_invoices: OpenInvoiceIndex,
            rules: Sequence[MatchRuleSpec]) -> list[Suggestion]:
    """Ranked suggestions for what is left of ``payment``, best first.

    Each rule is shown the payment in turn, until one is decisive
    (:attr:`~hub.contract.rules.MatchRuleSpec.decisive_at`); for the same
    invoices, the most confident suggestion counts.
    """
    if payment.unapplied <= 0:
        return []
    out: list[Suggestion] = []
    for spec in rules:
        found = list(spec.rule(payment, open_invoices))
        for item in found:
            if not isinstance(item, Suggestion):
                raise PluginError(f"match rule {spec.name!r} yielded {type(item).__name__}, "
                                  "expected Suggestion")
        out.extend(found)
        if spec.decisive_at is not None and any(s.confidence >= spec.decisive_at
                                                for s in found):
            break
    return _ranked(out, open_invoices.settings.max_suggestions)


def _ranked(items: list[Suggestion], limit: int) -> list[Suggestion]:
    best: dict[tuple[int, ...], Suggestion] = {}
    for s in items:
        key = tuple(sorted(i.id for i in s.invoices))
        if key not in best or s.confidence > best[key].confidence:
            best[key] = s
    ordered = sorted(best.values(), key=lambda s: (
        -s.confidence, min((i.due_date or i.issue_date or _FAR) for i in s.invoices)))
    return ordered[:limit]
