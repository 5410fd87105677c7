"""What to queue so that one system's records are kept in another ("mirror these to Stripe").

For each live record of the source:

- with no copy in the target (no link, no answered create): a **create**;
  an invoice's customer is queued first when it has no copy either. Void and
  uncollectible invoices are not created (nothing is owed on them).
- with a copy this hub pushed: an **update** when what the target is told
  (the record less its payment progress: amount paid, balance, status past
  draft) differs from the last change sent; a record linked by a person and
  never pushed is left alone.
- an invoice the source shows paid (status paid, or nothing left to pay)
  whose copy in the target is not yet paid: **mark_paid** (Stripe: paid out
  of band).

Every change carries its deterministic key, so running this again queues
nothing new; an edit of a record queues exactly one update. A change queued
and never tried is retired (superseded) when a newer one of the same record
is queued; one already tried may have reached the target, so the newer
content waits for its answer and goes as an update on a later run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from hub.contract.pushing import PushOperation
from hub.outbox.links import targets_of
from hub.outbox.queue import PENDING, SENT, enqueue, record_of, supersede
from hub.store import Connection, audit, lookups, reading
from hub.store import outbox as store_outbox
from hub.store.stored import StoredRecord, iter_records

NOT_OWED = ("void", "uncollectible")
UNPAID_COPY = ("draft", "open", "partially_paid", "uncollectible")


@dataclass(slots=True)
class MirrorCounts:
    """What one run of :func:`queue_mirror` queued for one entity."""

    source: str
    target: str
    entity: str
    creates: int = 0
    updates: int = 0
    mark_paid: int = 0
    customers: int = 0
    """Customers queued because an invoice queued here needs them."""
    unchanged: int = 0
    waiting: int = 0
    """Records changed while a create of them is in flight: updated once it is answered."""
    skipped: int = 0

    @property
    def queued(self) -> int:
        return self.creates + self.updates + self.mark_paid + self.customers


def pushed_view(entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """The part of a record's canonical content that a push tells the target."""
    out = {k: v for k, v in data.items() if k != "source_modified"}
    if entity == "invoice":
        for name in ("amount_paid", "credited", "balance"):
            out.pop(name, None)
        out["status"] = "draft" if data.get("status") == "draft" else "issued"
    return out


@dataclass(slots=True)
class _Sent:
    id: int
    operation: str
    status: str
    attempts: int
    payload: str
    key: str


@dataclass(slots=True)
class _Mirror:
    conn: Connection
    source: str
    target: str
    now: datetime
    history: dict[int, list[_Sent]] = field(default_factory=dict)

    def load_history(self, entity: str) -> None:
        found: dict[int, list[_Sent]] = defaultdict(list)
        for row in store_outbox.history(self.conn, self.target, entity):
            assert row.record_id is not None
            found[row.record_id].append(_Sent(row.id, row.operation, row.status, row.attempts,
                                              row.payload, row.idempotency_key))
        self.history.update(found)

    def create(self, stored: StoredRecord) -> str:
        """Queue the create of a record with no copy: ``queued``, ``waiting`` or ``unchanged``."""
        past = self.history.get(stored.id, [])
        in_flight = [h for h in past if h.operation == PushOperation.CREATE and h.status == PENDING]
        record = record_of(stored.entity, stored.data)
        if any(h.attempts > 0 for h in in_flight):
            return "waiting"
        queued = enqueue(self.conn, target=self.target, operation=PushOperation.CREATE,
                         record=record, record_id=stored.id, now=self.now)
        supersede(self.conn, [h.id for h in in_flight if h.key != queued.idempotency_key],
                  queued.idempotency_key)
        self._remember(stored.id, PushOperation.CREATE, queued.idempotency_key, stored.data)
        return "queued" if queued.new else "unchanged"

    def update(self, stored: StoredRecord, counts: MirrorCounts) -> None:
        past = self.history.get(stored.id, [])
        applied = [h for h in past if h.operation in (PushOperation.CREATE, PushOperation.UPDATE)
                   and h.status in (SENT, PENDING)]
        if not applied:
            counts.unchanged += 1  # linked by a person, never pushed: not ours to overwrite
            return
        entity = stored.entity
        if pushed_view(entity, orjson.loads(applied[-1].payload)) == pushed_view(
                entity, orjson.loads(stored.data)):
            counts.unchanged += 1
            return
        queued = enqueue(self.conn, target=self.target, operation=PushOperation.UPDATE,
                         record=record_of(entity, stored.data), record_id=stored.id, now=self.now)
        older = [h.id for h in applied if h.operation == PushOperation.UPDATE
                 and h.status == PENDING and h.key != queued.idempotency_key]
        supersede(self.conn, older, queued.idempotency_key)
        if queued.new:
            counts.updates += 1
        else:
            counts.unchanged += 1

    def mark_paid(self, stored: StoredRecord, copy_status: str | None,
                  counts: MirrorCounts) -> None:
        data = orjson.loads(stored.data)
        total, balance = Decimal(data.get("total") or 0), Decimal(data.get("balance") or 0)
        paid = data.get("status") == "paid" or (
            balance == 0 and total > 0 and data.get("status") not in ("draft", *NOT_OWED))
        if not paid or (copy_status is not None and copy_status not in UNPAID_COPY):
            return
        queued = enqueue(self.conn, target=self.target, operation=PushOperation.MARK_PAID,
                         record=record_of("invoice", stored.data), record_id=stored.id,
                         now=self.now)
        counts.mark_paid += int(queued.new)

    def _remember(self, rid: int, op: str, key: str, payload: str) -> None:
        self.history.setdefault(rid, []).append(_Sent(0, op, PENDING, 0, payload, key))


def queue_mirror(conn: Connection, *, source: str, target: str, entity: str,
                 mark_paid: bool = True, since: date | None = None, actor: str,
                 now: datetime) -> MirrorCounts:
    """Queue what mirrors ``source``'s records of ``entity`` in connector ``target``.

    Runs in the caller's transaction; returns what was queued. Re-running it
    with nothing changed queues nothing.
    """
    counts = MirrorCounts(source, target, entity)
    mirror = _Mirror(conn, source, target, now)
    mirror.load_history(entity)
    stored = list(iter_records(conn, source=source, entity=entity))
    copies = targets_of(conn, [s.id for s in stored], target)
    copy_status = reading.statuses(conn, target, entity) if entity == "invoice" else {}
    customers = _Customers(conn, mirror) if entity == "invoice" else None
    for rec in stored:
        data = orjson.loads(rec.data)
        if since is not None and str(data.get("issue_date") or "9999") < since.isoformat():
            counts.skipped += 1
            continue
        copy = copies.get(rec.id)
        if copy is None:
            if entity == "invoice" and data.get("status") in NOT_OWED:
                counts.skipped += 1
                continue
            if customers is not None:
                counts.customers += customers.ensure(data)
            outcome = mirror.create(rec)
            counts.creates += outcome == "queued"
            counts.waiting += outcome == "waiting"
            counts.unchanged += outcome == "unchanged"
            continue
        mirror.update(rec, counts)
        if mark_paid and entity == "invoice":
            mirror.mark_paid(rec, copy_status.get(copy), counts)
    if counts.queued:
        audit.record(conn, "push.queued", subject=f"{source} -> {target} {entity}", actor=actor,
                     at=now, details={"creates": counts.creates, "updates": counts.updates,
                                      "mark_paid": counts.mark_paid,
                                      "customers": counts.customers})
    return counts


class _Customers:
    """The customers of one source, to queue those an invoice needs in the target."""

    def __init__(self, conn: Connection, mirror: _Mirror) -> None:
        self.mirror = mirror
        mirror.load_history("customer")
        self.by_ref: dict[str, StoredRecord] = {}
        by_name: dict[str, list[StoredRecord]] = defaultdict(list)
        for cust in iter_records(conn, source=mirror.source, entity="customer"):
            self.by_ref[cust.external_id] = cust
            by_name[str(orjson.loads(cust.data).get("name") or "").lower()].append(cust)
        self.by_name = {name: found[0] for name, found in by_name.items() if len(found) == 1}
        self.copies = targets_of(conn, [c.id for c in self.by_ref.values()], mirror.target)
        self.done: set[int] = set()

    def ensure(self, invoice: dict[str, Any]) -> int:
        """Queue the invoice's customer when it has no copy in the target; 1 if queued now."""
        found = customer_of(invoice, self.by_ref, self.by_name)
        if found is None or found.id in self.done or found.id in self.copies:
            return 0
        self.done.add(found.id)
        return int(self.mirror.create(found) == "queued")


def customer_of(invoice: dict[str, Any], by_ref: dict[str, StoredRecord],
                by_name: dict[str, StoredRecord]) -> StoredRecord | None:
    """An invoice's customer among its source's: by ``customer_ref``, else by a unique name."""
    ref = invoice.get("customer_ref")
    if ref and ref in by_ref:
        return by_ref[ref]
    name = str(invoice.get("customer_name") or "").lower()
    return by_name.get(name) if name else None


def customer_id(conn: Connection, source: str, invoice: dict[str, Any]) -> int | None:
    """:func:`customer_of` for one invoice, by query: the store's id of its customer."""
    ref, name = invoice.get("customer_ref"), invoice.get("customer_name")
    if ref:
        found = lookups.customer_by_ref(conn, source, ref)
        if found is not None:
            return found
    if not name:
        return None
    named = lookups.customers_named(conn, source, str(name), limit=2)
    return named[0] if len(named) == 1 else None
