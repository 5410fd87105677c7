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

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.errors import HubError
from hub.reconcile.multimap import MultiMap
from hub.reconcile.settings import PairSettings, ReconcileSettings
from hub.reconcile.snapshot import InvoiceRow
from hub.reconcile.text import number_key
from hub.store import audit
from hub.store.schema import links, records

MANUAL = "manual"
LINKED = "linked"
REJECTED = "rejected"


@dataclass(slots=True)
class Link:
    left: InvoiceRow
    right: InvoiceRow
    method: str  # manual | reference | number


@dataclass(slots=True)
class ManualLinks:
    linked: set[tuple[int, int]]
    rejected: set[tuple[int, int]]

    def has(self, a: int, b: int, which: set[tuple[int, int]]) -> bool:
        return (a, b) in which or (b, a) in which


def load_manual(conn: Connection) -> ManualLinks:
    out = ManualLinks(set(), set())
    stmt = sa.select(links.c.left_id, links.c.right_id, links.c.state).where(
        links.c.method == MANUAL)
    for left, right, state in conn.execute(stmt):
        (out.linked if state == LINKED else out.rejected).add((left, right))
    return out


def pairs_of(settings: ReconcileSettings, sources: Sequence[str]) -> list[PairSettings]:
    """The configured pairs, or every pair of systems that hold invoices."""
    if settings.pairs:
        return [p for p in settings.pairs if p.left in sources and p.right in sources]
    return [PairSettings(left=a, right=b, number_prefixes=settings.number_prefixes)
            for i, a in enumerate(sources) for b in sources[i + 1:]]


def link_pair(left: Iterable[InvoiceRow], right: Iterable[InvoiceRow], pair: PairSettings,
              manual: ManualLinks) -> list[Link]:
    """Link the invoices of ``pair.left`` to those of ``pair.right``."""
    prefixes = pair.number_prefixes
    rights = list(right)
    lefts = list(left)
    manual_right: dict[int, list[int]] = defaultdict(list)
    for a, b in manual.linked:
        manual_right[a].append(b)
        manual_right[b].append(a)
    # Indexes are built only as far as some invoice can use them: at a million
    # invoices, each full index costs more than a hundred megabytes.
    by_id = {r.id: r for r in rights if r.id in manual_right}
    any_refs = any(inv.refs for inv in lefts)
    by_ext = {r.external_id: r for r in rights} if any_refs else {}
    by_number: MultiMap[str, InvoiceRow] = MultiMap()
    by_ref: MultiMap[str, InvoiceRow] = MultiMap()
    for r in rights:
        key = number_key(r.number, prefixes)
        if key:
            by_number.add(key, r)
        for value in r.refs.values():
            by_ref.add(value, r)

    taken: set[int] = set()
    done: set[int] = set()
    out: list[Link] = []
    passes = ["number"]
    if any_refs or len(by_ref):
        passes.insert(0, "reference")
    if manual_right:
        passes.insert(0, "manual")
    # Strongest evidence first, so a weak match never steals a strong one.
    for method in passes:
        for inv in lefts:
            if inv.id in done:
                continue
            found = _candidate(inv, method, prefixes, by_id, by_ext, by_number, by_ref,
                               manual_right)
            for other in found:
                if other.id in taken or (manual.rejected and manual.has(
                        inv.id, other.id, manual.rejected)):
                    continue
                out.append(Link(inv, other, method))
                taken.add(other.id)
                done.add(inv.id)
                break
    return out


def _candidate(inv: InvoiceRow, method: str, prefixes: Sequence[str],
               by_id: dict[int, InvoiceRow], by_ext: dict[str, InvoiceRow],
               by_number: MultiMap[str, InvoiceRow], by_ref: MultiMap[str, InvoiceRow],
               manual_right: dict[int, list[int]]) -> Sequence[InvoiceRow]:
    if method == "manual":
        return [by_id[b] for b in manual_right.get(inv.id, ()) if b in by_id]
    if method == "reference":
        found: list[InvoiceRow] = []
        for value in inv.refs.values():
            if value in by_ext:
                found.append(by_ext[value])
            key = number_key(value, prefixes)
            same = by_number.get(key) if key else ()
            if len(same) == 1:
                found.extend(same)
        found.extend(by_ref.get(inv.external_id))
        if inv.number:
            found.extend(by_ref.get(inv.number))
        return found
    key = number_key(inv.number, prefixes)
    candidates = by_number.get(key) if key else ()
    return candidates if len(candidates) == 1 else ()


def resolve_record(conn: Connection, text: str) -> tuple[int, str]:
    """A record named as ``SOURCE:EXTERNAL_ID`` or by its store id -> (id, label)."""
    if text.isdigit():
        row = conn.execute(sa.select(records.c.id, records.c.source, records.c.external_id)
                           .where(records.c.id == int(text))).first()
    else:
        source, sep, ext = text.partition(":")
        if not sep:
            raise HubError(f"cannot tell which record {text!r} is",
                           hint="name it as SOURCE:EXTERNAL_ID (books:INV-1042) or by its id")
        row = conn.execute(sa.select(records.c.id, records.c.source, records.c.external_id)
                           .where(records.c.source == source, records.c.external_id == ext)
                           ).first()
    if row is None:
        raise HubError(f"no record {text!r} in the store",
                       hint="`billing-hub export invoice` lists the records with their ids")
    return int(row[0]), f"{row[1]}:{row[2]}"


def set_manual(conn: Connection, left: str, right: str, state: str, *, actor: str,
               now: datetime) -> tuple[str, str]:
    """Record that two records are (``linked``) or are not (``rejected``) the same thing."""
    a, a_label = resolve_record(conn, left)
    b, b_label = resolve_record(conn, right)
    if a == b:
        raise HubError("a record cannot be linked to itself")
    conn.execute(links.delete().where(sa.or_(
        sa.and_(links.c.left_id == a, links.c.right_id == b),
        sa.and_(links.c.left_id == b, links.c.right_id == a))))
    conn.execute(links.insert().values(left_id=a, right_id=b, method=MANUAL, state=state,
                                       created_at=now, created_by=actor))
    audit.record(conn, "link." + ("made" if state == LINKED else "refused"),
                 subject=f"{a_label} {b_label}", actor=actor, at=now)
    return a_label, b_label
