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

from hub.store import Connection, lookups
from hub.store import links as store_links
from hub.store import outbox as store_outbox
from hub.store.links import LINKED, PUSH

__all__ = ["LINKED", "PUSH", "link_pushed", "stored_id", "target_of", "targets_of"]


def targets_of(conn: Connection, record_ids: Iterable[int], target: str) -> dict[int, str]:
    """record id -> the external id of its linked copy in ``target`` (for those that have one)."""
    ids = list(record_ids)
    out: dict[int, str] = {}
    for rid, ext in store_links.copies_in(conn, ids, target):
        out[rid] = ext  # the newest link wins
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
    for rid, entity, result in store_outbox.answered_creates(conn, record_ids, target):
        ext = orjson.loads(result).get("external_id")
        if ext and stored_id(conn, target, entity, ext) is None:
            out[rid] = str(ext)
    return out


def stored_id(conn: Connection, source: str, entity: str, external_id: str) -> int | None:
    """The store's id of a record, or None."""
    return lookups.stored_id(conn, source, entity, external_id)


def link_pushed(conn: Connection, record_id: int, copy_id: int, *, actor: str,
                now: datetime) -> bool:
    """Link a record to its copy in a target; False when the two are linked (or refused) already."""
    if store_links.exists(conn, record_id, copy_id):
        return False
    store_links.add_pushed(conn, record_id, copy_id, actor=actor, now=now)
    return True
