"""Links between records that are the same real thing in two systems.

Only the links a person made (``billing-hub link`` and ``unlink``) and those
the pusher made (a record and the copy a target answered with) are stored;
the reconciler computes its own on every run (:mod:`hub.reconcile.linking`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.clock import as_utc
from hub.store.schema import links, records

MANUAL = "manual"
"""``method`` of a link a person made."""
PUSH = "push"
"""``method`` of a link the pusher made."""
LINKED = "linked"
REJECTED = "rejected"
"""The ``state`` of a link: the two are the same thing, or a person said they are not."""

CHUNK = 500


def manual(conn: Connection) -> Iterator[tuple[int, int, str]]:
    """(left id, right id, state) of every link a person made."""
    stmt = sa.select(links.c.left_id, links.c.right_id, links.c.state).where(
        links.c.method == MANUAL)
    yield from conn.execute(stmt)


def _between(a: int, b: int) -> sa.ColumnElement[bool]:
    return sa.or_(sa.and_(links.c.left_id == a, links.c.right_id == b),
                  sa.and_(links.c.left_id == b, links.c.right_id == a))


def set_manual(conn: Connection, a: int, b: int, state: str, *, actor: str,
               now: datetime) -> None:
    """A person's word on records ``a`` and ``b``, replacing any link between them."""
    conn.execute(links.delete().where(_between(a, b)))
    conn.execute(links.insert().values(left_id=a, right_id=b, method=MANUAL, state=state,
                                       created_at=now, created_by=actor))


def exists(conn: Connection, a: int, b: int) -> bool:
    """Whether any link (made or refused, either way round) joins ``a`` and ``b``."""
    return conn.execute(sa.select(links.c.id).where(_between(a, b))).first() is not None


def add_pushed(conn: Connection, record_id: int, copy_id: int, *, actor: str,
               now: datetime) -> None:
    """Link a record to the copy a target answered with."""
    conn.execute(links.insert().values(left_id=record_id, right_id=copy_id, method=PUSH,
                                       state=LINKED, created_at=now, created_by=actor))


def copies_in(conn: Connection, record_ids: Sequence[int], target: str
              ) -> Iterator[tuple[int, str]]:
    """(record id, external id) of each live record of ``target`` linked to one of
    ``record_ids``: the links from the left first, then from the right, each in
    the order made."""
    other = records.alias("other")
    for mine, theirs in ((links.c.left_id, links.c.right_id), (links.c.right_id, links.c.left_id)):
        for start in range(0, len(record_ids), CHUNK):
            chunk = record_ids[start:start + CHUNK]
            stmt = (sa.select(mine, other.c.external_id)
                    .select_from(links.join(other, other.c.id == theirs))
                    .where(mine.in_(chunk), links.c.state == LINKED, other.c.source == target,
                           other.c.deleted_at.is_(None))
                    .order_by(links.c.id))
            for rid, ext in conn.execute(stmt):
                yield int(rid), str(ext)


def linked(conn: Connection) -> Iterator[tuple[int, int]]:
    """(left id, right id) of every stored link that says two records are one thing
    (a person's or the pusher's)."""
    yield from conn.execute(sa.select(links.c.left_id, links.c.right_id)
                            .where(links.c.state == LINKED))


@dataclass(frozen=True, slots=True)
class StoredLink:
    """A stored link seen from one of its records: the record at the other end (its
    name's parts), how the link was made, its state, and when and by whom."""

    other_id: int
    other_source: str
    other_entity: str
    other_external_id: str
    method: str
    rule: str | None
    state: str
    confidence: str | None
    created_at: datetime
    created_by: str | None


def of_record(conn: Connection, record_id: int) -> list[StoredLink]:
    """The stored links (made or refused) of ``record_id``, in the order made."""
    other = records.alias("other")
    found: list[tuple[int, StoredLink]] = []
    for mine, theirs in ((links.c.left_id, links.c.right_id), (links.c.right_id, links.c.left_id)):
        stmt = (sa.select(links.c.id, other.c.id, other.c.source, other.c.entity,
                          other.c.external_id, links.c.method, links.c.rule, links.c.state,
                          links.c.confidence, links.c.created_at, links.c.created_by)
                .select_from(links.join(other, other.c.id == theirs))
                .where(mine == record_id))
        for (lid, oid, source, entity, ext, method, rule, state, confidence, created,
             by) in conn.execute(stmt):
            found.append((lid, StoredLink(oid, source, entity, ext, method, rule, state,
                                          confidence, as_utc(created) or created, by)))
    return [link for _lid, link in sorted(found, key=lambda item: item[0])]
