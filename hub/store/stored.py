"""Canonical records as the store holds them: read back, streamed, and counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

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
