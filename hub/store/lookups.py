"""Single records found by what a person or another system calls them: the store's
id, the source and its id there, a customer's reference or name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import records, runs

_c = records.c
_LIVE = _c.deleted_at.is_(None)


@dataclass(frozen=True, slots=True)
class Standing:
    """What a record is and what is left open on it (in minor units of ``currency``)."""

    entity: str
    data: str
    """The canonical JSON."""
    open_minor: int | None
    currency: str | None
    status: str | None
    deleted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Shown:
    """A record as a person compares it with others."""

    id: int
    source: str
    entity: str
    external_id: str
    data: str
    location: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record a person's name for it may mean."""

    id: int
    source: str
    entity: str
    external_id: str
    deleted: bool


def answering(conn: Connection, source: str,
              readings: Sequence[tuple[str | None, str]]) -> list[Candidate]:
    """The records (deleted or not) of ``source`` that any of the ``readings`` of a name
    means, by store id: (entity, external id), the entity ``None`` for any entity."""
    which = [sa.and_(_c.external_id == ext, *(() if entity is None else (_c.entity == entity,)))
             for entity, ext in readings]
    rows = conn.execute(sa.select(_c.id, _c.source, _c.entity, _c.external_id, _c.deleted_at)
                        .where(_c.source == source, sa.or_(*which)).order_by(_c.id))
    return [Candidate(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4] is not None)
            for r in rows]


def stored_id(conn: Connection, source: str, entity: str, external_id: str) -> int | None:
    """The store's id of a record (deleted or not), or None."""
    found = conn.execute(sa.select(_c.id).where(
        _c.source == source, _c.entity == entity, _c.external_id == external_id)).scalar()
    return int(found) if found is not None else None


def standing(conn: Connection, record_id: int) -> Standing:
    """What the record with this id is and has open; it must exist."""
    row = conn.execute(sa.select(_c.entity, _c.data, _c.open_minor, _c.currency, _c.status,
                                 _c.deleted_at).where(_c.id == record_id)).one()
    return Standing(*row)


def standing_of(conn: Connection, source: str, entity: str, external_id: str
                ) -> Standing | None:
    """:func:`standing` of a record named by its source's id (deleted or not), or None."""
    row = conn.execute(sa.select(_c.entity, _c.data, _c.open_minor, _c.currency, _c.status,
                                 _c.deleted_at).where(
        _c.source == source, _c.entity == entity, _c.external_id == external_id)).first()
    return None if row is None else Standing(*row)


def customer_by_ref(conn: Connection, source: str, ref: str) -> int | None:
    """The id of ``source``'s live customer whose id there is ``ref``."""
    found = conn.execute(sa.select(_c.id).where(
        _c.source == source, _c.entity == "customer", _LIVE, _c.external_id == ref)).scalar()
    return int(found) if found is not None else None


def customers_named(conn: Connection, source: str, name: str, *, limit: int) -> list[int]:
    """Ids of ``source``'s live customers named ``name`` (any case), at most ``limit``."""
    found = conn.execute(sa.select(_c.id).where(
        _c.source == source, _c.entity == "customer", _LIVE,
        sa.func.lower(_c.party) == name.lower()).limit(limit)).scalars().all()
    return [int(i) for i in found]


def shown(conn: Connection, record_ids: Sequence[int]) -> list[Shown]:
    """These records (deleted or not), in no particular order."""
    rows = conn.execute(sa.select(_c.id, _c.source, _c.entity, _c.external_id, _c.data,
                                  _c.location).where(_c.id.in_(list(record_ids))))
    return [Shown(*r) for r in rows]



@dataclass(frozen=True, slots=True)
class SyncedCopy:
    """A record as the last sync that read it left it."""

    data: str
    open_minor: int | None
    read_at: datetime | None
    """When that sync started; None when a push, not a sync, wrote the record last."""


def synced_copy(conn: Connection, source: str, entity: str, external_id: str
                ) -> SyncedCopy | None:
    """The live record of ``source`` with ``external_id``, with when a sync last read it."""
    row = conn.execute(
        sa.select(_c.data, _c.open_minor, runs.c.started_at)
        .select_from(records.outerjoin(runs, runs.c.id == _c.last_run_id))
        .where(_c.source == source, _c.entity == entity, _c.external_id == external_id,
               _LIVE)).first()
    return None if row is None else SyncedCopy(str(row[0]), row[1], row[2])
