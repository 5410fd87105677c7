"""Which invoice in one system is the same sale as an invoice in another.

For each pair of systems, an invoice is linked to at most one invoice on the
other side, by the first of:

1. a link a person made (``billing-hub link``); an ``unlink`` forbids a pair;
2. an explicit reference: a metadata value of one equal to the other's id or
   document number (Stripe's ``metadata[quickbooks_id]``, a QuickBooks memo
   naming the Stripe invoice);
3. the document number, compared without case, spaces, leading zeros and the
   configured prefixes.

Automatic links are computed on every run, so they follow the data; only the
links a person made are stored.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.contract.rows import InvoiceRow
from hub.errors import HubError
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.settings import PairSettings, ReconcileSettings
from hub.reconcile.tables import InvoiceTable
from hub.reconcile.text import number_keyer
from hub.store import Connection, audit, lookups
from hub.store import links as store_links
from hub.store.links import LINKED, MANUAL, REJECTED

__all__ = ["LINKED", "MANUAL", "METHODS", "REJECTED", "Link", "Links", "ManualLinks",
           "link_pair", "load_manual", "pairs_of", "resolve_record", "set_manual"]


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
    linked: set[tuple[int, int]]
    rejected: set[tuple[int, int]]

    def has(self, a: int, b: int, which: set[tuple[int, int]]) -> bool:
        return (a, b) in which or (b, a) in which


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


def resolve_record(conn: Connection, text: str) -> tuple[int, str]:
    """A record named as ``SOURCE:EXTERNAL_ID`` or by its store id -> (id, label)."""
    if text.isdigit():
        row = lookups.by_id(conn, int(text))
    else:
        source, sep, ext = text.partition(":")
        if not sep:
            raise HubError(f"cannot tell which record {text!r} is",
                           hint="name it as SOURCE:EXTERNAL_ID (books:INV-1042) or by its id")
        row = lookups.by_external_id(conn, source, ext)
    if row is None:
        raise HubError(f"no record {text!r} in the store",
                       hint="`billing-hub export invoice` lists the records with their ids")
    return row.id, f"{row.source}:{row.external_id}"


def set_manual(conn: Connection, left: str, right: str, state: str, *, actor: str,
               now: datetime) -> tuple[str, str]:
    """Record that two records are (``linked``) or are not (``rejected``) the same thing."""
    a, a_label = resolve_record(conn, left)
    b, b_label = resolve_record(conn, right)
    if a == b:
        raise HubError("a record cannot be linked to itself")
    store_links.set_manual(conn, a, b, state, actor=actor, now=now)
    audit.record(conn, "link." + ("made" if state == LINKED else "refused"),
                 subject=f"{a_label} {b_label}", actor=actor, at=now)
    return a_label, b_label
