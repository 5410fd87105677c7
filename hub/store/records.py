"""Writing and reading canonical records.

:func:`prepare` turns a validated record into the row the store keeps (the
canonical JSON, the raw payload, a content hash over both and the columns the
reconciler filters on). :func:`upsert` writes a page of them: new records are
inserted, records whose hash changed are updated, the rest cost one lookup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.models import BankTransaction, CanonicalRecord, Customer, Invoice, Payment
from hub.money import to_minor_units
from hub.outcomes import EntityCounts
from hub.store.schema import records

LOOKUP_CHUNK = 500


@dataclass(slots=True)
class PreparedRecord:
    """A record serialised for the store."""

    external_id: str
    content_hash: str
    data: str
    raw: str
    location: str | None
    number: str | None = None
    party: str | None = None
    customer_ref: str | None = None
    currency: str | None = None
    amount_minor: int | None = None
    open_minor: int | None = None
    status: str | None = None
    doc_date: date | None = None
    due_date: date | None = None
    source_modified: datetime | None = None


def _minor(value: Decimal | None, currency: str) -> int | None:
    return None if value is None else to_minor_units(value, currency)


def prepare(record: CanonicalRecord, location: str | None = None) -> PreparedRecord:
    """Serialise ``record``; the hash covers the canonical data and the raw payload."""
    data = record.model_dump_json(exclude={"raw"})
    raw = orjson.dumps(record.raw, option=orjson.OPT_SORT_KEYS, default=str)
    digest = hashlib.blake2b(data.encode(), digest_size=16)
    digest.update(b"\x00")
    digest.update(raw)
    row = PreparedRecord(
        external_id=record.external_id,
        content_hash=digest.hexdigest(),
        data=data,
        raw=raw.decode(),
        location=location,
        source_modified=record.source_modified,
    )
    if isinstance(record, Invoice):
        row.number = record.number
        row.party = record.customer_name
        row.customer_ref = record.customer_ref
        row.currency = record.currency
        row.amount_minor = _minor(record.total, record.currency)
        row.open_minor = _minor(record.balance, record.currency)
        row.status = record.status.value
        row.doc_date = record.issue_date
        row.due_date = record.due_date
    elif isinstance(record, Payment):
        row.number = record.reference
        row.party = record.payer_name
        row.customer_ref = record.customer_ref
        row.currency = record.currency
        row.amount_minor = _minor(record.amount, record.currency)
        row.open_minor = _minor(record.unapplied, record.currency)
        row.status = record.status
        row.doc_date = record.received_date
    elif isinstance(record, BankTransaction):
        row.number = record.reference
        row.party = record.counterparty
        row.currency = record.currency
        row.amount_minor = _minor(record.amount, record.currency)
        row.doc_date = record.booked_date
    elif isinstance(record, Customer):
        row.party = record.name
        row.currency = record.currency
    return row


_COPIED = (
    "content_hash", "data", "raw", "location", "number", "party", "customer_ref", "currency",
    "amount_minor", "open_minor", "status", "doc_date", "due_date", "source_modified",
)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(slots=True)
class _Known:
    id: int
    content_hash: str
    deleted: bool
    last_run_id: int | None


def _existing(
    conn: Connection, source: str, entity: str, external_ids: Sequence[str]
) -> dict[str, _Known]:
    """What the store already holds for these ids."""
    found: dict[str, _Known] = {}
    stmt = sa.select(
        records.c.external_id, records.c.id, records.c.content_hash, records.c.deleted_at,
        records.c.last_run_id,
    ).where(
        records.c.source == source,
        records.c.entity == entity,
        records.c.external_id.in_(sa.bindparam("ids", expanding=True)),
    )
    for chunk in _chunks(external_ids, LOOKUP_CHUNK):
        for ext, rid, h, deleted, last_run in conn.execute(stmt, {"ids": list(chunk)}):
            found[ext] = _Known(rid, h, deleted is not None, last_run)
    return found


@dataclass(slots=True)
class UpsertResult:
    """The counts of one page, and the ids this run had already stored (repeats)."""

    counts: EntityCounts
    repeated: list[str]


def upsert(
    conn: Connection,
    source: str,
    entity: str,
    rows: Sequence[PreparedRecord],
    *,
    run_id: int | None,
    now: datetime,
) -> UpsertResult:
    """Insert new rows, update changed ones, mark unchanged ones as seen by this run.

    A row whose id this same run already stored is not written: it is returned
    in ``repeated`` so the caller quarantines it (a source that gives one id
    twice in one pull has a problem a person should see; silently keeping the
    last one would lose the first).
    """
    counts = EntityCounts()
    repeated: list[str] = []
    if not rows:
        return UpsertResult(counts, repeated)
    known = _existing(conn, source, entity, [r.external_id for r in rows])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    touched: list[int] = []
    for row in rows:
        prior = known.get(row.external_id)
        if prior is None:
            values = {name: getattr(row, name) for name in _COPIED}
            values.update(source=source, entity=entity, external_id=row.external_id,
                          first_seen_at=now, updated_at=now, last_run_id=run_id)
            inserts.append(values)
        elif run_id is not None and prior.last_run_id == run_id:
            repeated.append(row.external_id)
        elif prior.content_hash != row.content_hash or prior.deleted:
            values = {name: getattr(row, name) for name in _COPIED}
            values.update(_id=prior.id, updated_at=now, last_run_id=run_id, deleted_at=None)
            updates.append(values)
        else:
            counts.unchanged += 1
            touched.append(prior.id)
    if inserts:
        conn.execute(records.insert(), inserts)
        counts.created = len(inserts)
    if updates:
        stmt = (
            records.update()
            .where(records.c.id == sa.bindparam("_id"))
            .values({name: sa.bindparam(name) for name in (*_COPIED, "updated_at", "last_run_id",
                                                            "deleted_at")})
        )
        conn.execute(stmt, updates)
        counts.updated = len(updates)
    if touched and run_id is not None:
        seen = (
            records.update()
            .where(records.c.id.in_(sa.bindparam("ids", expanding=True)))
            .values(last_run_id=run_id)
        )
        for chunk in _chunks(touched, LOOKUP_CHUNK):
            conn.execute(seen, {"ids": list(chunk)})
    return UpsertResult(counts, repeated)


@dataclass(slots=True)
class StoredRecord:
    """A record as the store holds it, with its canonical JSON still as text."""

    id: int
    source: str
    entity: str
    external_id: str
    content_hash: str
    data: str
    raw: str
    location: str | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = orjson.loads(self.data)
        return out


def iter_records(
    conn: Connection, *, source: str | None = None, entity: str | None = None,
    include_deleted: bool = False, batch: int = 5000,
) -> Iterable[StoredRecord]:
    """Every stored record (optionally of one source and entity), by id, streamed."""
    cols = (records.c.id, records.c.source, records.c.entity, records.c.external_id,
            records.c.content_hash, records.c.data, records.c.raw, records.c.location)
    last = 0
    while True:
        stmt = sa.select(*cols).where(records.c.id > last).order_by(records.c.id).limit(batch)
        if source is not None:
            stmt = stmt.where(records.c.source == source)
        if entity is not None:
            stmt = stmt.where(records.c.entity == entity)
        if not include_deleted:
            stmt = stmt.where(records.c.deleted_at.is_(None))
        rows = conn.execute(stmt).all()
        if not rows:
            return
        for r in rows:
            yield StoredRecord(*r)
        last = rows[-1][0]


def count_by_entity(conn: Connection) -> dict[tuple[str, str], int]:
    stmt = (
        sa.select(records.c.source, records.c.entity, sa.func.count())
        .where(records.c.deleted_at.is_(None))
        .group_by(records.c.source, records.c.entity)
    )
    return {(s, e): n for s, e, n in conn.execute(stmt)}
