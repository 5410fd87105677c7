"""Which invoice in one system is the same sale as an invoice in another, and the
links a person makes between customers, invoices and payments.

For each pair of systems, an invoice is linked to at most one invoice on the
other side, by the first of:

1. a link a person made (``billing-hub link``); an ``unlink`` forbids a pair;
2. an explicit reference: a metadata value of one equal to the other's id or
   document number (Stripe's ``metadata[quickbooks_id]``, a QuickBooks memo
   naming the Stripe invoice);
3. the document number, compared without case, spaces, leading zeros and the
   configured prefixes.

Automatic links are computed on every run, so they follow the data; only the
links a person made are stored. A person may also link (or unlink) two
customers of two systems, which decides whether invoices billed to them are
billed to the same customer (:mod:`hub.reconcile.rules_invoices`), and two
receipts (payments or bank lines), which decides whether one is the other's
money booked again (:mod:`hub.reconcile.cash`).
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.contract.rows import CustomerRow, InvoiceRow
from hub.errors import HubError
from hub.reconcile import naming
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.settings import PairSettings, ReconcileSettings
from hub.reconcile.tables import InvoiceTable
from hub.reconcile.text import name_key, number_keyer
from hub.store import Connection, audit
from hub.store import links as store_links
from hub.store.links import LINKED, MANUAL, REJECTED

__all__ = ["LINKED", "MANUAL", "METHODS", "REJECTED", "SAME_KIND", "CustomerKey", "Link",
           "Links", "ManualLinks", "customer_word", "invoice_customer", "link_pair",
           "load_manual", "pairs_of", "set_manual"]


@dataclass(slots=True)
class Link:
    """Two linked invoices, as rows (built only for the pairs a rule reports on)."""

    left: InvoiceRow
    right: InvoiceRow
    method: str  # manual | reference | number


METHODS = ("manual", "reference", "number")


class Links:
    """The links of one pair of systems, as invoice table positions, in the order made."""

    __slots__ = ("left", "method", "right")

    def __init__(self) -> None:
        self.left = array("I")
        self.right = array("I")
        self.method = array("B")
        """Index into :data:`METHODS`."""

    def add(self, left: int, right: int, method: str) -> None:
        self.left.append(left)
        self.right.append(right)
        self.method.append(METHODS.index(method))

    def __len__(self) -> int:
        return len(self.left)

    def __iter__(self) -> Iterator[tuple[int, int, str]]:
        for left, right, method in zip(self.left, self.right, self.method, strict=True):
            yield left, right, METHODS[method]


@dataclass(slots=True)
class ManualLinks:
    """The links a person made and refused, as pairs of record ids (of any entity)."""

    linked: set[tuple[int, int]]
    rejected: set[tuple[int, int]]

    def has(self, a: int, b: int, which: set[tuple[int, int]]) -> bool:
        return (a, b) in which or (b, a) in which

    def apart(self, a: int, b: int) -> bool:
        """Whether a person said records ``a`` and ``b`` are not the same thing."""
        return bool(self.rejected) and self.has(a, b, self.rejected)

    def partners(self) -> dict[int, list[int]]:
        """Each record a person linked to others -> those others, in no set order."""
        out: dict[int, list[int]] = defaultdict(list)
        for a, b in self.linked:
            out[a].append(b)
            out[b].append(a)
        return out


CustomerKey = tuple[str, str]
"""A customer as an invoice names it: (source, its id there), or (source, "=" and its
name as :func:`hub.reconcile.text.name_key` folds it) when the invoice has no id."""


def invoice_customer(source: str, customer_ref: str | None, customer: str | None
                     ) -> CustomerKey:
    """The :data:`CustomerKey` of an invoice's customer."""
    return (source, customer_ref) if customer_ref else (source, "=" + name_key(customer))


def customer_word(manual: ManualLinks, customers: Iterable[CustomerRow]
                  ) -> dict[frozenset[CustomerKey], bool]:
    """What a person said of two customers of two systems: the same customer (True) or
    not (False), for every way an invoice may name each."""
    wanted = {i for pair in (*manual.linked, *manual.rejected) for i in pair}
    if not wanted:
        return {}
    keys: dict[int, tuple[CustomerKey, ...]] = {
        c.id: ((c.source, c.external_id), (c.source, "=" + name_key(c.name)))
        for c in customers if c.id in wanted}
    out: dict[frozenset[CustomerKey], bool] = {}
    for pairs, same in ((manual.rejected, False), (manual.linked, True)):
        for a, b in pairs:
            for ka in keys.get(a, ()):
                for kb in keys.get(b, ()):
                    out[frozenset((ka, kb))] = same
    return out


def load_manual(conn: Connection) -> ManualLinks:
    out = ManualLinks(set(), set())
    for left, right, state in store_links.manual(conn):
        (out.linked if state == LINKED else out.rejected).add((left, right))
    return out


def pairs_of(settings: ReconcileSettings, sources: Sequence[str]) -> list[PairSettings]:
    """The configured pairs, or every pair of systems that hold invoices."""
    if settings.pairs:
        return [p for p in settings.pairs if p.left in sources and p.right in sources]
    return [PairSettings(left=a, right=b, number_prefixes=settings.number_prefixes)
            for i, a in enumerate(sources) for b in sources[i + 1:]]


def link_pair(invoices: InvoiceTable, left: Sequence[int], right: Sequence[int],
              pair: PairSettings, manual: ManualLinks) -> Links:
    """Link the invoices of ``pair.left`` (rows ``left``) to those of ``pair.right``."""
    prefixes = pair.number_prefixes
    keyer = number_keyer(tuple(prefixes))
    ids, refs, numbers = invoices.ids, invoices.refs, invoices.number
    manual_right: dict[int, list[int]] = defaultdict(list)
    for a, b in manual.linked:
        manual_right[a].append(b)
        manual_right[b].append(a)
    # Indexes are built only as far as some invoice can use them, and hold row
    # positions in 8 bytes each: at a million invoices, a dict would cost more
    # than a hundred megabytes.
    by_id = {ids[r]: r for r in right if ids[r] in manual_right}
    any_refs = any(r in refs for r in left)
    by_ext = HashIndex(((invoices.external_id.text(r), r) for r in right),
                       lambda r, k: invoices.external_id.text(r) == k) if any_refs else None
    by_number = HashIndex(
        ((k, r) for r in right if (k := keyer(numbers[r]))),
        lambda r, k: keyer(numbers[r]) == k)
    by_ref = HashIndex(((value, r) for r in right if r in refs for value in refs[r].values()),
                       lambda r, k: k in refs[r].values())

    taken = bytearray(len(invoices))
    done = bytearray(len(invoices))
    out = Links()
    passes = ["number"]
    if any_refs or len(by_ref):
        passes.insert(0, "reference")
    if manual_right:
        passes.insert(0, "manual")
    # Strongest evidence first, so a weak match never steals a strong one.
    for method in passes:
        for inv in left:
            if done[inv]:
                continue
            if method == "manual":
                found = [by_id[b] for b in manual_right.get(ids[inv], ()) if b in by_id]
            elif method == "reference":
                found = _by_reference(invoices, inv, keyer, by_ext, by_number, by_ref)
            else:
                key = keyer(numbers[inv])
                found = by_number.get(key) if key else []
                if len(found) != 1:
                    continue
            for other in found:
                if taken[other] or (manual.rejected and manual.has(
                        ids[inv], ids[other], manual.rejected)):
                    continue
                out.add(inv, other, method)
                taken[other] = done[inv] = 1
                break
    return out


def _by_reference(invoices: InvoiceTable, inv: int, keyer: Callable[[str | None], str | None],
                  by_ext: HashIndex | None, by_number: HashIndex, by_ref: HashIndex
                  ) -> list[int]:
    """Right rows that a reference of ``inv`` names, or whose references name ``inv``."""
    found: list[int] = []
    for value in invoices.refs.get(inv, {}).values():
        if by_ext is not None:
            found.extend(by_ext.get(value)[-1:])
        key = keyer(value)
        same = by_number.get(key) if key else []
        if len(same) == 1:
            found.extend(same)
    found.extend(by_ref.get(invoices.external_id.text(inv)))
    number = invoices.number[inv]
    if number:
        found.extend(by_ref.get(number))
    return found


SAME_KIND = {"customer": "customer", "invoice": "invoice", "payment": "payment",
             "bank_transaction": "payment"}
"""What can be linked to what: customers, invoices, and money received (a payment
record or a bank line)."""


def _a(entity: str) -> str:
    return f"{'an' if entity[0] in 'aeiou' else 'a'} {entity}"


def set_manual(conn: Connection, left: str, right: str, state: str, *, actor: str,
               now: datetime) -> tuple[str, str]:
    """Record that two records are (``linked``) or are not (``rejected``) the same thing.

    Both must be customers, both invoices, or both money received (payments and bank
    lines); customers and invoices of two systems. Returns the two records' names.
    """
    a, b = naming.resolve(conn, left), naming.resolve(conn, right)
    if a.id == b.id:
        raise HubError("a record cannot be linked to itself")
    kinds = SAME_KIND.get(a.entity), SAME_KIND.get(b.entity)
    if None in kinds:
        raise HubError(f"{a.name if kinds[0] is None else b.name} cannot be linked: only "
                       "customers, invoices, payments and bank lines can")
    if kinds[0] != kinds[1]:
        raise HubError(f"{a.name} is {_a(a.entity)} and {b.name} {_a(b.entity)}: a link says "
                       "two records are the same thing",
                       hint="link two customers, two invoices, or a payment and the payment "
                            "or bank line that is the same money")
    if kinds[0] != "payment" and a.source == b.source:
        raise HubError(f"{a.name} and {b.name} are of the same system: a link joins the "
                       f"copies of one {a.entity} in two systems",
                       hint="two invoices of one system that are one sale: void one there; "
                            "`billing-hub findings ignore` a duplicate that is not one")
    store_links.set_manual(conn, a.id, b.id, state, actor=actor, now=now)
    audit.record(conn, "link." + ("made" if state == LINKED else "refused"),
                 subject=f"{a.name} {b.name}", actor=actor, at=now)
    return a.name, b.name
