"""Live records read in bulk: what the reconciler, the payout review, the reminder
plan and the mirror work from.

The reconciler's reads come in batches of rows in id order, column by column
as the store keeps them (integer minor units, dates, numbers, parties) with
the canonical JSON last; the caller builds its own tables from them
(:mod:`hub.reconcile.snapshot`). "Live": not deleted by their source.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store import history
from hub.store.schema import records

BATCH = 20_000

SNAPSHOT_COLUMNS = ("id", "source", "external_id", "number", "party", "customer_ref",
                    "currency", "amount_minor", "open_minor", "status", "doc_date", "due_date",
                    "data")
"""The columns of each row :func:`batches` yields, in this order."""

_c = records.c
_LIVE = _c.deleted_at.is_(None)


def batches(conn: Connection, entity: str, *, size: int = BATCH,
            as_of: datetime | None = None) -> Iterator[Sequence[tuple[Any, ...]]]:
    """The live records of ``entity``, ``size`` rows at a time, in id order, with the
    columns of :data:`SNAPSHOT_COLUMNS`; ``as_of``: as the hub knew them then
    (:func:`hub.store.history.batches_as_of`)."""
    if as_of is not None:
        yield from history.batches_as_of(conn, entity, as_of, SNAPSHOT_COLUMNS, size=size)
        return
    cols = [_c[name] for name in SNAPSHOT_COLUMNS]
    last = 0
    while True:
        stmt = (sa.select(*cols)
                .where(_c.entity == entity, _LIVE, _c.id > last)
                .order_by(_c.id).limit(size))
        batch = conn.execute(stmt).all()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def bank_credits(conn: Connection, *, as_of: datetime | None = None) -> Iterator[str]:
    """The canonical JSON of every live money-in bank line (``as_of``: then)."""
    if as_of is not None:
        for batch in history.batches_as_of(conn, "bank_transaction", as_of,
                                           ("id", "amount_minor", "data"), size=BATCH):
            yield from (data for _id, amount, data in batch if (amount or 0) > 0)
        return
    stmt = sa.select(_c.data).where(_c.entity == "bank_transaction", _LIVE, _c.amount_minor > 0)
    for (data,) in conn.execute(stmt):
        yield data


def payouts(conn: Connection) -> Iterator[tuple[int, str]]:
    """(id, canonical JSON) of every live payout, in id order."""
    stmt = sa.select(_c.id, _c.data).where(_c.entity == "payout", _LIVE).order_by(_c.id)
    yield from conn.execute(stmt)


def bank_lines_range(conn: Connection) -> dict[str, tuple[date, date]]:
    """Currency -> the first and the last day a live bank line of that currency was booked."""
    stmt = (sa.select(_c.currency, sa.func.min(_c.doc_date), sa.func.max(_c.doc_date))
            .where(_c.entity == "bank_transaction", _LIVE).group_by(_c.currency))
    return {cur: (first, last) for cur, first, last in conn.execute(stmt)
            if cur and first and last}


def deposits(conn: Connection, currencies: Sequence[str], first: date, last: date
             ) -> Iterator[tuple[int, str, str, str, str, date]]:
    """(id, source, external id, currency, canonical JSON, booked day) of the live
    money-in bank lines in ``currencies`` booked from ``first`` to ``last``, in id order."""
    stmt = (sa.select(_c.id, _c.source, _c.external_id, _c.currency, _c.data, _c.doc_date)
            .where(_c.entity == "bank_transaction", _LIVE, _c.amount_minor > 0,
                   _c.currency.in_(currencies), _c.doc_date >= first, _c.doc_date <= last)
            .order_by(_c.id))
    yield from conn.execute(stmt)


def overdue_invoices(conn: Connection, source: str, *, statuses: Collection[str],
                     due_by: date) -> list[tuple[int, str, str]]:
    """(id, external id, canonical JSON) of ``source``'s live invoices in ``statuses``
    with a balance, due on ``due_by`` or earlier; the longest overdue first."""
    stmt = (sa.select(_c.id, _c.external_id, _c.data)
            .where(_c.source == source, _c.entity == "invoice", _LIVE,
                   _c.status.in_(list(statuses)), _c.open_minor > 0, _c.due_date.is_not(None),
                   _c.due_date <= due_by)
            .order_by(_c.due_date, _c.id))
    return [(int(rid), str(ext), str(data)) for rid, ext, data in conn.execute(stmt)]


def contents(conn: Connection, source: str, entity: str) -> Iterator[tuple[str, str]]:
    """(external id, canonical JSON) of ``source``'s live records of ``entity``."""
    stmt = sa.select(_c.external_id, _c.data).where(_c.source == source, _c.entity == entity,
                                                    _LIVE)
    yield from conn.execute(stmt)


def statuses(conn: Connection, source: str, entity: str) -> dict[str, str]:
    """External id -> status of ``source``'s live records of ``entity``."""
    stmt = sa.select(_c.external_id, _c.status).where(_c.source == source, _c.entity == entity,
                                                      _LIVE)
    return {str(ext): str(status) for ext, status in conn.execute(stmt)}
