"""One real thing, counted once: which copy of a linked invoice or payment the figures count.

A sale booked in the ledger and sent through Stripe is two invoice records;
a payment the pusher copied into another system is two payment records. Every
figure (metrics, reports, the overview, the demo's headline) reads
:class:`Counted` to count each real thing once:

- **invoices** are grouped by the links the reconciler makes for each pair of
  systems it compares (a person's link, a reference in metadata, the document
  number; :mod:`hub.reconcile.linking`), joined across pairs, so a sale held
  in three systems is one group;
- **payments** are grouped by the stored links (a person's ``billing-hub
  link``, the pusher's copy) and by a reference in one payment's metadata equal
  to another system's id of the other; a person's ``unlink`` keeps two apart.

In each group the copy of the **system of record** counts
(``[reconcile.system_of_record]``; unset, the ledger: the system that holds
the most invoices); a group with no copy there counts the copy of the system
that comes next in that order. The other copies are set aside: a copy that
disagrees with the counted one is a finding of the reconciler (amount,
status, currency, due-date or customer mismatch), never a second amount.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hub.reconcile import linking
from hub.reconcile.columns import PooledColumn
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import Snapshot
from hub.reconcile.snapshot import load as snapshot_load
from hub.reconcile.tables import PaymentTable
from hub.store import Connection
from hub.store import links as store_links

__all__ = ["Counted", "Side", "count_once", "count_payments", "ledger_order", "load"]


def ledger_order(snapshot: Snapshot) -> list[str]:
    """The systems holding invoices or payments, the one with the most invoices first
    (then the most payments, then by name): the first is the ledger."""
    def held(column: PooledColumn[str]) -> Counter[str]:
        return Counter({column.values[code]: n for code, n in Counter(column.codes).items()})

    invoices = held(snapshot.invoices.source)
    payments = held(snapshot.payments.source)
    return sorted(set(invoices) | set(payments),
                  key=lambda s: (-invoices.get(s, 0), -payments.get(s, 0), s))


class _Sources(Protocol):
    def __getitem__(self, row: int) -> str: ...


class _Groups:
    """Union-find over table positions."""

    __slots__ = ("parent", "touched")

    def __init__(self, size: int) -> None:
        self.parent = array("q", range(size))
        self.touched: set[int] = set()

    def find(self, row: int) -> int:
        parent = self.parent
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        self.touched.update((a, b))
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def members(self) -> dict[int, list[int]]:
        """Root -> its rows, for the groups of more than one row."""
        out: dict[int, list[int]] = defaultdict(list)
        for row in sorted(self.touched):
            out[self.find(row)].append(row)
        return {root: rows for root, rows in out.items() if len(rows) > 1}


@dataclass(slots=True)
class Side:
    """One entity's counting: which position counts, and for which copies."""

    counts: bytearray
    """1 for each table position that a figure counts."""
    counted_as: dict[int, int] = field(default_factory=dict)
    """A set-aside copy's position -> the position of the copy that counts."""
    copies: dict[int, list[int]] = field(default_factory=dict)
    """A counted position -> the positions set aside as its copies."""
    system_of_record: str | None = None
    configured: bool = False
    """Whether ``system_of_record`` is set in the config (else it is the ledger)."""

    def counted(self, row: int) -> int:
        """The position that counts for ``row`` (``row`` itself, or its counted copy)."""
        return self.counted_as.get(row, row)

    @property
    def distinct(self) -> int:
        """How many real things the table holds."""
        return sum(self.counts)


@dataclass(slots=True)
class Counted:
    """For the invoices and payments of a snapshot, the one copy of each real thing that
    every figure counts."""

    invoices: Side
    payments: Side

    @staticmethod
    def each(snapshot: Snapshot) -> Counted:
        """Every record counted: no links (a snapshot of one system)."""
        return Counted(Side(bytearray(b"\x01") * len(snapshot.invoices)),
                       Side(bytearray(b"\x01") * len(snapshot.payments)))


def _pick(groups: dict[int, list[int]], source: _Sources, size: int,
          rank: dict[str, int], sor: str | None, configured: bool) -> Side:
    side = Side(bytearray(b"\x01") * size, system_of_record=sor, configured=configured)
    far = len(rank)
    for rows in groups.values():
        best = min(rows, key=lambda r: (rank.get(source[r], far), r))
        others = [r for r in rows if r != best]
        side.copies[best] = others
        for r in others:
            side.counts[r] = 0
            side.counted_as[r] = best
    return side


def _rank(order: list[str], sor: str | None) -> dict[str, int]:
    first = [sor] if sor else []
    return {s: i for i, s in enumerate([*first, *(s for s in order if s != sor)])}


def _invoice_groups(snapshot: Snapshot, settings: ReconcileSettings,
                    manual: linking.ManualLinks) -> dict[int, list[int]]:
    from hub.reconcile.context import RunContext  # which imports this module

    invoices = snapshot.invoices
    groups = _Groups(len(invoices))
    context = RunContext(snapshot, settings, manual=manual)
    for _, links in context.pair_links:
        for left, right in zip(links.left, links.right, strict=True):
            groups.join(left, right)
    return groups.members()


def _payment_groups(payments: PaymentTable, stored: Iterable[tuple[int, int]],
                    manual: linking.ManualLinks) -> dict[int, list[int]]:
    groups = _Groups(len(payments))
    pairs = list(stored)
    wanted = {rid for pair in pairs for rid in pair}
    # only the payments something names are indexed: a million payments stay unindexed
    row_of = {rid: row for row, rid in enumerate(payments.ids) if rid in wanted}
    for a, b in pairs:
        if a in row_of and b in row_of:
            groups.join(row_of[a], row_of[b])
    if payments.refs:
        named = {value for refs in payments.refs.values() for value in refs.values()}
        by_ext: dict[str, list[int]] = defaultdict(list)
        for row in range(len(payments)):
            ext = payments.external_id.text(row)
            if ext in named:
                by_ext[ext].append(row)
        for row, refs in payments.refs.items():
            for value in refs.values():
                for other in by_ext.get(value, ()):
                    if (payments.source[other] != payments.source[row]
                            and not manual.apart(payments.ids[row], payments.ids[other])):
                        groups.join(row, other)
    return groups.members()


def count_once(snapshot: Snapshot, settings: ReconcileSettings,
               manual: linking.ManualLinks | None = None,
               stored: Iterable[tuple[int, int]] = ()) -> Counted:
    """Which invoice and payment of ``snapshot`` counts for each real thing.

    ``manual`` are the links a person made or refused, ``stored`` the (record id,
    record id) of every stored link (a person's and the pusher's).
    """
    manual = manual or linking.ManualLinks(set(), set())
    order = ledger_order(snapshot)
    chosen = settings.system_of_record.invoice or (order[0] if order else None)
    invoices = _pick(_invoice_groups(snapshot, settings, manual), snapshot.invoices.source,
                     len(snapshot.invoices), _rank(order, chosen), chosen,
                     settings.system_of_record.invoice is not None)
    return Counted(invoices, count_payments(snapshot, settings, manual, stored, order))


def count_payments(snapshot: Snapshot, settings: ReconcileSettings,
                   manual: linking.ManualLinks, stored: Iterable[tuple[int, int]],
                   order: list[str] | None = None) -> Side:
    """The payments' side of :func:`count_once` alone (what the reconciler's rules read)."""
    order = ledger_order(snapshot) if order is None else order
    chosen = settings.system_of_record.payment or (order[0] if order else None)
    return _pick(_payment_groups(snapshot.payments, stored, manual), snapshot.payments.source,
                 len(snapshot.payments), _rank(order, chosen), chosen,
                 settings.system_of_record.payment is not None)


def load(conn: Connection, settings: ReconcileSettings,
         as_of: datetime | None = None) -> tuple[Snapshot, Counted]:
    """The store's snapshot and which of its records count (what every figure reads);
    ``as_of``: the records as the hub knew them at that moment."""
    snapshot = snapshot_load(conn, as_of=as_of)
    counted = count_once(snapshot, settings, linking.load_manual(conn),
                         list(store_links.linked(conn)))
    return snapshot, counted
