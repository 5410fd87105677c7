"""Suggestions for a payment that is not (fully) applied: which invoices it pays.

The open invoices are indexed once per run (:class:`OpenInvoiceIndex`), and
:func:`suggest` shows each unapplied payment to every registered match rule
(:class:`hub.contract.rules.MatchRuleSpec`), in order, then ranks what they
suggest. The built-in rules (the invoices the memo names, what the payer owes)
are in :mod:`hub.reconcile.match_rules`, registered through the
``hub_match_rules`` hook like a plugin's.

Balances are as of the receipt being matched: the cash run
(:mod:`hub.reconcile.cash.run`) shows receipts in booking order and
:meth:`OpenInvoiceIndex.consume` deducts what each decision pays, so a later
instalment meets the balance an earlier one left.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hub.contract.rows import CustomerRow, InvoiceRow, PaymentRow
from hub.contract.rules import MatchRuleSpec, PayerInvoices, Suggestion
from hub.errors import PluginError
from hub.money import currency_exponent
from hub.reconcile.cash.balances import Balances, Reading
from hub.reconcile.cash.decide import Named
from hub.reconcile.cash.payers import NOBODY, Payer, PayerIndex
from hub.reconcile.cash.refs import RefIndex
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.settings import MatchSettings
from hub.reconcile.tables import InvoiceTable
from hub.reconcile.text import candidate_numbers, name_key, number_keyer


class ByCustomer:
    """Open invoices by customer key (``r:REF`` or ``n:NAME KEY``), the oldest due first.

    Holds table positions; ``get(key)`` builds the invoices' rows, with balances as
    of the receipt being matched, leaving out those earlier receipts settled.
    """

    __slots__ = ("_balances", "_groups", "_invoices")

    def __init__(self, invoices: InvoiceTable, groups: dict[str, array[int]],
                 balances: Balances | None = None) -> None:
        self._invoices = invoices
        self._groups = groups
        self._balances = balances or Balances(invoices)

    def get(self, key: str, default: Sequence[InvoiceRow] = ()) -> Sequence[InvoiceRow]:
        rows = self._groups.get(key)
        if rows is None:
            return default
        balances = self._balances
        if not balances.paid:
            return self._invoices.rows_of(rows)
        return balances.rows_of(r for r in rows if balances.balance(r) > 0)

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
    balances: Balances
    """Balances as of the receipt being matched (what earlier decisions pay deducted)."""
    pair_tolerances: dict[tuple[str, str], tuple[Decimal, Decimal]] = field(
        default_factory=dict)
    """(payment system, invoice system) -> (percent, fixed amount)."""
    customers: Sequence[CustomerRow] = ()
    _refs: RefIndex | None = None
    _payers: PayerIndex | None = None
    _reading: tuple[PaymentRow, int, Reading] | None = None
    _row_of: dict[int, int] | None = None
    quarantined: Sequence[tuple[int, str, str]] = ()
    """(quarantine entry id, invoice number, why) of the invoices held in quarantine."""
    _quarantine_refs: RefIndex | None = None

    @classmethod
    def build(cls, invoices: InvoiceTable, settings: MatchSettings,
              fuzzy_threshold: int, prefixes: Sequence[str],
              numbers: HashIndex | None = None,
              customers: Sequence[CustomerRow] = ()) -> OpenInvoiceIndex:
        numbers = numbers if numbers is not None else number_index(invoices, prefixes)
        groups: dict[str, list[int]] = defaultdict(list)
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
        due, issued, ids = invoices.due_date, invoices.issue_date, invoices.ids
        ordered = {}
        for ckey, rows in groups.items():
            rows.sort(key=lambda row: (due[row] or issued[row] or _FAR, ids[row]))
            ordered[ckey] = array("I", rows)
        balances = Balances(invoices)
        return cls(settings, fuzzy_threshold, prefixes, invoices, numbers,
                   ByCustomer(invoices, ordered, balances), balances, customers=customers)

    @property
    def refs(self) -> RefIndex:
        """Every invoice, open or not, by the ways a memo may write its number."""
        if self._refs is None:
            number = self.invoices.number
            self._refs = RefIndex(((row, number[row]) for row in range(len(self.invoices))),
                                  self.prefixes)
        return self._refs

    @property
    def payers(self) -> PayerIndex:
        """The customers by name, alias and address."""
        if self._payers is None:
            inv = self.invoices
            pairs = {(inv.customer[row], inv.customer_ref[row]) for row in range(len(inv))}
            self._payers = PayerIndex.build(self.customers, sorted(pairs, key=str),
                                            self.settings.payer_prefixes,
                                            self.fuzzy_threshold)
        return self._payers

    def quarantined_in(self, memo: str | None) -> list[tuple[int, str, str]]:
        """(quarantine entry, number, why) of the quarantined invoices ``memo`` names."""
        if not self.quarantined or not memo:
            return []
        if self._quarantine_refs is None:
            self._quarantine_refs = RefIndex(enumerate(n for _, n, _ in self.quarantined),
                                             self.prefixes)
        return [self.quarantined[h.row] for h in self._quarantine_refs.find(memo)
                if h.strength > 1]

    def consume(self, invoices: Sequence[InvoiceRow], amounts: Sequence[int]) -> None:
        """Count ``amounts`` of ``invoices`` as paid for the receipts still to come."""
        positions = self._positions([i.id for i in invoices])
        for inv, amount in zip(invoices, amounts, strict=True):
            row = positions.get(inv.id)
            if row is not None:
                self.balances.consume(row, amount)

    def _positions(self, ids: Sequence[int]) -> dict[int, int]:
        if self._row_of is None:
            self._row_of = {rid: row for row, rid in enumerate(self.invoices.ids)}
        return {rid: self._row_of[rid] for rid in ids if rid in self._row_of}

    def same_sale(self, invoice: InvoiceRow) -> int:
        """One id for an invoice and its copies in other systems (the smallest)."""
        row = self._positions([invoice.id]).get(invoice.id)
        twins = self.balances.twins.get(row, ()) if row is not None else ()
        return min((invoice.id, *(self.invoices.ids[t] for t in twins)))

    def balance_now(self, invoice: InvoiceRow) -> int:
        """``invoice``'s balance as of the receipt being matched."""
        row = self._positions([invoice.id]).get(invoice.id)
        return invoice.balance if row is None else self.balances.balance(row)

    def is_open(self, row: int) -> bool:
        """Open, with a balance left as of the receipt being matched."""
        return _open_row(self.invoices, row) and self.balances.balance(row) > 0

    def reading(self, payment: PaymentRow) -> Reading:
        """What the payment's memo and payer say (worked out once per payment and
        balance state)."""
        state = len(self.balances.paid)
        if self._reading is not None and self._reading[0] is payment and (
                self._reading[1] == state):
            return self._reading[2]
        payer = self.payers.identify(payment.payer, payment.memo) if (
            payment.payer or payment.memo) else NOBODY
        keys = set(payer.keys)
        if payment.customer_ref:
            keys.add(f"r:{payment.customer_ref}")
            payer = Payer(frozenset(keys), payer.how or "the payment's customer", 100.0)
        applied_to = {a.invoice_ref for a in payment.applications if a.invoice_ref}
        mine: dict[int, None] = {}
        for ckey in keys:
            mine.update(dict.fromkeys(self.by_customer.positions(ckey)))
        due, issued, ids = self.invoices.due_date, self.invoices.issue_date, self.invoices.ids
        payer_rows = sorted((r for r in mine if self.is_open(r)),
                            key=lambda r: (due[r] or issued[r] or _FAR, ids[r]))
        payer_open = [i for i in self.balances.rows_of(payer_rows)
                      if i.currency == payment.currency and i.external_id not in applied_to]
        named_open: list[Named] = []
        other: list[InvoiceRow] = []
        closed: list[InvoiceRow] = []
        seen: set[int] = set()
        for hit in self.refs.find(payment.memo):
            if hit.strength == 1 and hit.row not in mine and not keys.intersection(
                    _customer_keys(self.invoices.customer[hit.row],
                                   self.invoices.customer_ref[hit.row])):
                continue  # a bare number counts only for the payer's own invoices
            if hit.row in seen:
                continue  # a copy of an invoice already named, kept by another system
            seen.add(hit.row)
            seen.update(self.balances.twins.get(hit.row, ()))
            inv = self.balances.row(hit.row)
            if inv.external_id in applied_to:
                continue
            if not self.is_open(hit.row):
                closed.append(inv)
            elif inv.currency != payment.currency:
                other.append(inv)
            else:
                named_open.append(Named(inv, hit.strength, hit.written))
        answer = Reading(payer, named_open, other, closed, payer_open)
        self._reading = (payment, state, answer)
        return answer

    def open_by_number(self, key: str) -> list[InvoiceRow]:
        """The open invoices with this number key."""
        return self.balances.rows_of(row for row in self.numbers.get(key) if self.is_open(row))

    def numbers_in(self, text: str) -> set[str]:
        """The keys of the invoice numbers written in ``text``."""
        return candidate_numbers(text, self.prefixes)

    def payer_invoices(self, payment: PaymentRow) -> PayerInvoices:
        """The payer's open invoices in the payment's currency that its applications do
        not name yet (worked out once for the payment that the rules are shown)."""
        reading = self.reading(payment)
        close = reading.payer.how if reading.payer.score < 100 else None
        return PayerInvoices(tuple(reading.payer_open), close, reading.payer.score)

    def pair_configured(self, payment: PaymentRow, invoice: InvoiceRow) -> bool:
        """Whether the config gives this pair of systems its own tolerance (which then
        replaces the bank-charge allowance)."""
        return (payment.source, invoice.source) in self.pair_tolerances

    def tolerance(self, payment: PaymentRow, invoice: InvoiceRow) -> int:
        """How far (in minor units) the payment may be from the invoice's balance."""
        percent, fixed = self.pair_tolerances.get(
            (payment.source, invoice.source),
            (self.settings.amount_tolerance_percent, self.settings.amount_tolerance_fixed))
        return int(max(Decimal(invoice.balance) * percent / 100,
                       fixed.scaleb(currency_exponent(invoice.currency))))

    def settled_by_memo(self, payment: PaymentRow) -> InvoiceRow | None:
        """An invoice the memo names that its system already counts as paid by this much,
        since before the payment arrived or at an unknown time.

        A processor's export rarely carries the application the ledger made:
        "Payment for INV-1042" of $500 next to a QuickBooks INV-1042 with $500
        paid is the ordinary, settled case, not an unapplied payment. When the
        invoice's system says it was last changed before the payment arrived
        (``source_modified``), the ledger counted another payment: this one is
        a second payment for a paid invoice, not this case.
        """
        invoices = self.invoices
        modified = invoices.modified
        for hit in self.refs.find(payment.memo):
            row = hit.row
            if hit.strength == 1 or row in self.balances.paid:
                continue
            paid = invoices.total[row] - invoices.balance[row]
            changed = modified.get(row)
            if paid > 0 and invoices.currency[row] == payment.currency and (
                    paid >= payment.unapplied) and invoices.status[row] != "void" and (
                    changed is None or payment.received is None
                    or changed >= payment.received):
                return invoices[row]
        return None


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
    same = (open_invoices.same_sale if isinstance(open_invoices, OpenInvoiceIndex)
            else None)
    return _ranked(out, open_invoices.settings.max_suggestions, payment, same)


def _ranked(items: list[Suggestion], limit: int, payment: PaymentRow | None = None,
            same: Callable[[InvoiceRow], int] | None = None) -> list[Suggestion]:
    """The suggestions best first, each set of invoices once.

    Ties go, in this order, to the suggestion the memo's reference backs, then
    the closer amount, then the older invoice, then the payer's own name.
    ``same`` maps an invoice to the one sale it is (its copies in other
    systems are one invoice).
    """
    key_of = same or (lambda i: i.id)
    best: dict[tuple[int, ...], Suggestion] = {}
    for s in items:
        key = tuple(sorted({key_of(i) for i in s.invoices}))
        if key not in best or s.confidence > best[key].confidence:
            best[key] = s
    left = payment.unapplied if payment is not None else 0

    def order(s: Suggestion) -> tuple[float, int, int, date, int]:
        return (-round(s.confidence, 6), 0 if s.rule.startswith("memo") else 1,
                abs(sum(i.balance for i in s.invoices) - left) if payment else 0,
                min((i.due_date or i.issue_date or _FAR) for i in s.invoices),
                0 if "close" not in s.reason else 1)

    return sorted(best.values(), key=order)[:limit]
