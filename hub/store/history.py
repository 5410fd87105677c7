"""The history of every record's state, and the store read as it stood at a moment.

Each write of a record that changes what it holds (created, changed, deleted by its
source, restored) copies its new state (canonical JSON and the columns the reconciler
reads) into ``record_history`` in the same transaction, with the time the hub learned it
and the source's own time (``source_modified``, when the source gives one). A re-sync that
changes nothing writes nothing; a record that only moved within its file (a new line
number) updates its location and writes no state.

:func:`batches_as_of` reads the records as the hub knew them at a moment, row for row as
:func:`hub.store.reading.batches` reads the live ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.clock import as_utc
from hub.store.schema import TS, record_history, records

CHUNK = 500

STATE = ("content_hash", "data", "number", "party", "customer_ref", "currency",
         "amount_minor", "open_minor", "status", "doc_date", "due_date", "source_modified")
"""The columns of a record's state that the history keeps (not the raw payload or location)."""

CREATED, CHANGED, DELETED, RESTORED, KNOWN = "created", "changed", "deleted", "restored", "known"
"""What a history row says happened; ``known``: the state a record had when the history
began (the upgrade that added it)."""

_h = record_history.c
_r = records.c


def _copy(conn: Connection, where: Any, change: str, *, now: datetime,
          run_id: int | None) -> None:
    cols = ["record_id", "change", "learned_at", "run_id", *STATE]
    select = sa.select(_r.id, sa.literal(change, sa.String(16)), sa.literal(now, TS),
                       sa.literal(run_id, sa.Integer), *(_r[c] for c in STATE)).where(where)
    conn.execute(sa.insert(record_history).from_select(cols, select))


def _chunks(items: Sequence[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start:start + CHUNK])


def keep_by_ids(conn: Connection, ids: Sequence[int], change: str, *, now: datetime,
                run_id: int | None) -> None:
    """Copy the present state of the records with these ids into the history."""
    for chunk in _chunks(ids):
        _copy(conn, _r.id.in_(chunk), change, now=now, run_id=run_id)


def keep_by_external_ids(conn: Connection, source: str, entity: str,
                         external_ids: Sequence[str], change: str, *, now: datetime,
                         run_id: int | None) -> None:
    """Copy the present state of ``source``'s records of ``entity`` with these ids."""
    for chunk in _chunks(external_ids):
        _copy(conn, sa.and_(_r.source == source, _r.entity == entity,
                            _r.external_id.in_(chunk)), change, now=now, run_id=run_id)


def _latest(moment: datetime) -> Any:
    """The id of each record's last history row learned at ``moment`` or before."""
    return (sa.select(sa.func.max(_h.id).label("hid"))
            .where(_h.learned_at <= moment).group_by(_h.record_id))


def batches_as_of(conn: Connection, entity: str, moment: datetime, columns: Sequence[str],
                  *, size: int) -> Iterator[Sequence[tuple[Any, ...]]]:
    """The records of ``entity`` not deleted as the hub knew them at ``moment``, ``size``
    rows at a time in id order, with ``columns`` (``id``, ``source`` and ``external_id``
    from the record, the rest from its state then)."""
    own = {"id", "source", "external_id", "entity"}
    cols = [_r[c] if c in own else _h[c] for c in columns]
    latest = _latest(moment).subquery()
    last = 0
    while True:
        stmt = (sa.select(*cols)
                .select_from(record_history.join(records, _r.id == _h.record_id))
                .where(_h.id.in_(sa.select(latest.c.hid)), _r.entity == entity,
                       _h.change != DELETED, _r.id > last)
                .order_by(_r.id).limit(size))
        batch = conn.execute(stmt).all()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


@dataclass(slots=True, frozen=True)
class StateChange:
    """One state of a record: what happened, when the hub learned it, the source's own
    time, the run that read it, and the state (canonical JSON, status, open amount)."""

    change: str
    learned_at: datetime
    source_time: datetime | None
    run_id: int | None
    content_hash: str
    status: str | None
    open_minor: int | None
    amount_minor: int | None
    data: str


def of_record(conn: Connection, record_id: int) -> list[StateChange]:
    """Every state of one record, oldest first."""
    stmt = (sa.select(_h.change, _h.learned_at, _h.source_modified, _h.run_id,
                      _h.content_hash, _h.status, _h.open_minor, _h.amount_minor, _h.data)
            .where(_h.record_id == record_id).order_by(_h.id))
    return [StateChange(change, as_utc(learned) or learned, as_utc(modified), run_id, digest,
                        status, open_minor, amount, data)
            for change, learned, modified, run_id, digest, status, open_minor, amount, data
            in conn.execute(stmt)]


def count(conn: Connection) -> int:
    """How many history rows the store holds."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(record_history)).scalar_one())
