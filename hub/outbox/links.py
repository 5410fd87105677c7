"""Which object in a target system a hub record is, through the links table.

A record pushed to a target is linked to the target's copy once the target
answers (``links.method = "push"``); a person's ``billing-hub link`` counts
the same, and a person's ``unlink`` (a rejected link) is respected. For a
connector whose answer carries no record to store, the id it answered with
is kept in the outbox row's ``result`` and found there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import links, outbox, records

PUSH = "push"
"""``links.method`` of a link the pusher made."""
LINKED = "linked"


def targets_of(conn: Connection, record_ids: Iterable[int], target: str) -> dict[int, str]:
    """record id -> the external id of its linked copy in ``target`` (for those that have one)."""
    ids = list(record_ids)
    out: dict[int, str] = {}
    other = records.alias("other")
    for mine, theirs in ((links.c.left_id, links.c.right_id), (links.c.right_id, links.c.left_id)):
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            stmt = (sa.select(mine, other.c.external_id)
                    .select_from(links.join(other, other.c.id == theirs))
                    .where(mine.in_(chunk), links.c.state == LINKED, other.c.source == target,
                           other.c.deleted_at.is_(None))
                    .order_by(links.c.id))
            for rid, ext in conn.execute(stmt):
                out[int(rid)] = str(ext)  # the newest link wins
    missing = [i for i in ids if i not in out]
    out.update(_answered(conn, missing, target))
    return out


def target_of(conn: Connection, record_id: int, target: str) -> str | None:
    """The external id of ``record_id``'s copy in ``target``, or None."""
    return targets_of(conn, [record_id], target).get(record_id)


def _answered(conn: Connection, record_ids: list[int], target: str) -> dict[int, str]:
    """Ids a target answered a create with, where the target's copy is not in the store."""
    if not record_ids:
        return {}
    out: dict[int, str] = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start:start + 500]
        stmt = (sa.select(outbox.c.record_id, outbox.c.entity, outbox.c.result)
                .where(outbox.c.record_id.in_(chunk), outbox.c.target == target,
                       outbox.c.operation == "create", outbox.c.result.is_not(None),
                       outbox.c.status.in_(("sent", "rejected")))
                .order_by(outbox.c.id))
        for rid, entity, result in conn.execute(stmt):
            ext = orjson.loads(result).get("external_id")
            if ext and stored_id(conn, target, entity, ext) is None:
                out[int(rid)] = str(ext)
    return out


def stored_id(conn: Connection, source: str, entity: str, external_id: str) -> int | None:
    """The store's id of a record, or None."""
    found = conn.execute(sa.select(records.c.id).where(
        records.c.source == source, records.c.entity == entity,
        records.c.external_id == external_id)).scalar()
    return int(found) if found is not None else None


def link_pushed(conn: Connection, record_id: int, copy_id: int, *, actor: str,
                now: datetime) -> bool:
    """Link a record to its copy in a target; False when the two are linked (or refused) already."""
    exists = conn.execute(sa.select(links.c.id).where(sa.or_(
        sa.and_(links.c.left_id == record_id, links.c.right_id == copy_id),
        sa.and_(links.c.left_id == copy_id, links.c.right_id == record_id)))).first()
    if exists is not None:
        return False
    conn.execute(links.insert().values(left_id=record_id, right_id=copy_id, method=PUSH,
                                       state=LINKED, created_at=now, created_by=actor))
    return True
