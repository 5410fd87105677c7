"""Canonical records as the store holds them: read back, streamed, and counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.clock import as_utc
from hub.store.schema import records


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
    """How many live records each (source, entity) has."""
    stmt = (
        sa.select(records.c.source, records.c.entity, sa.func.count())
        .where(records.c.deleted_at.is_(None))
        .group_by(records.c.source, records.c.entity)
    )
    return {(s, e): n for s, e, n in conn.execute(stmt)}


@dataclass(slots=True, frozen=True)
class RecordRow:
    """Everything the store keeps of one record: its canonical JSON and raw payload as
    text, where it was read, and when the hub first saw it, last wrote it and (if so)
    learned that its source deleted it."""

    id: int
    source: str
    entity: str
    external_id: str
    data: str
    raw: str
    location: str | None
    source_modified: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    last_run_id: int | None


def get_row(conn: Connection, record_id: int) -> RecordRow | None:
    """The record with this id (deleted or not), or None."""
    c = records.c
    row = conn.execute(sa.select(
        c.id, c.source, c.entity, c.external_id, c.data, c.raw, c.location, c.source_modified,
        c.first_seen_at, c.updated_at, c.deleted_at, c.last_run_id).where(c.id == record_id)
    ).first()
    if row is None:
        return None
    (rid, source, entity, ext, data, raw, location, modified, first, updated, deleted,
     run_id) = row
    return RecordRow(rid, source, entity, ext, data, raw, location, as_utc(modified),
                     as_utc(first) or first, as_utc(updated) or updated, as_utc(deleted),
                     run_id)
