"""Records that could not be accepted, kept with their raw content and a reason.

Nothing a source sent is lost: a rejected record waits here until someone
fixes the source or the mapping and retries it. The same bad record seen
again on a later sync is counted on its existing entry, not added twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.errors import RecordRejected
from hub.models.limits import ID_LENGTH
from hub.store.clock import as_utc
from hub.store.schema import quarantine

OPEN = "open"
RESOLVED = "resolved"


MAX_REASON = 2000
"""Characters of a reason kept: a reason explains, it does not carry the value."""


def _raw_text(raw: object) -> str:
    """The raw content as the store keeps it: text as it is, anything else as JSON.

    Text the store could not keep as it is (a NUL character, an unpaired
    surrogate) is kept as a JSON string, which :meth:`QuarantineEntry.raw_value`
    reads back to the same text.
    """
    if isinstance(raw, str):
        if "\x00" not in raw and _encodes(raw):
            return raw
        return json.dumps(raw)
    try:
        return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str).decode()
    except TypeError:  # orjson refuses unpaired surrogates: json escapes them
        return json.dumps(raw, sort_keys=True, default=str)


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str, limit: int = MAX_REASON) -> str:
    """``text`` as the store can keep it and a person read it: NUL and unpaired surrogates
    written as escapes, and at most ``limit`` characters."""
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text):,} characters in all)"
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if not _encodes(text):
        text = text.encode("utf-8", "backslashreplace").decode()
    return text


def _external_id(value: str | None) -> str | None:
    """An id the store's column can hold, else none (such a record is never stored)."""
    if value is None or len(value) > ID_LENGTH or "\x00" in value or not _encodes(value):
        return None
    return value


def _details(details: object) -> str:
    try:
        return orjson.dumps(details, default=str).decode()
    except TypeError:
        return json.dumps(details, default=str)


def fingerprint(raw_text: str) -> str:
    return hashlib.blake2b(raw_text.encode(), digest_size=16).hexdigest()


def add(
    conn: Connection,
    source: str,
    entity: str,
    rejected: Sequence[RecordRejected],
    *,
    run_id: int | None,
    now: datetime,
) -> int:
    """Quarantine ``rejected``; returns how many entries are new."""
    new = 0
    for rej in rejected:
        raw = _raw_text(rej.raw)
        fp = fingerprint(raw)
        existing = conn.execute(
            sa.select(quarantine.c.id).where(
                quarantine.c.source == source,
                quarantine.c.entity == (rej.entity or entity),
                quarantine.c.fingerprint == fp,
            )
        ).scalar()
        values: dict[str, Any] = {
            "location": _shown(rej.location or ""),
            "reason": _shown(rej.reason),
            "details": _details(rej.details),
            "last_seen_at": now,
            "run_id": run_id,
            "status": OPEN,
            "resolved_at": None,
        }
        if existing is None:
            conn.execute(
                quarantine.insert().values(
                    source=source, entity=rej.entity or entity, fingerprint=fp,
                    external_id=_external_id(rej.external_id), raw=raw, first_seen_at=now,
                    times_seen=1,
                    **values,
                )
            )
            new += 1
        else:
            conn.execute(
                quarantine.update()
                .where(quarantine.c.id == existing)
                .values(times_seen=quarantine.c.times_seen + 1, **values)
            )
    return new


def resolve_superseded(
    conn: Connection, source: str, entity: str, external_ids: Sequence[str], now: datetime
) -> int:
    """Close open entries whose record has since arrived valid under the same id."""
    if not external_ids:
        return 0
    result = conn.execute(
        quarantine.update()
        .where(
            quarantine.c.source == source,
            quarantine.c.entity == entity,
            quarantine.c.status == OPEN,
            quarantine.c.external_id.in_(sa.bindparam("ids", expanding=True)),
        )
        .values(status=RESOLVED, resolved_at=now),
        {"ids": list(external_ids)},
    )
    return int(result.rowcount or 0)


def has_open(conn: Connection, source: str, entity: str) -> bool:
    stmt = sa.select(sa.literal(1)).where(
        quarantine.c.source == source, quarantine.c.entity == entity,
        quarantine.c.status == OPEN, quarantine.c.external_id.is_not(None),
    ).limit(1)
    return conn.execute(stmt).first() is not None


@dataclass(slots=True)
class QuarantineEntry:
    id: int
    source: str
    entity: str
    external_id: str | None
    location: str | None
    raw: str
    reason: str
    details: list[dict[str, Any]]
    status: str
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int

    def raw_value(self) -> Any:
        try:
            return orjson.loads(self.raw)
        except orjson.JSONDecodeError:
            pass
        try:  # JSON orjson refuses: text with an unpaired surrogate (see _raw_text)
            return json.loads(self.raw)
        except ValueError:
            return self.raw


def _entry(row: sa.Row[Any]) -> QuarantineEntry:
    m = row._mapping
    return QuarantineEntry(
        id=m["id"], source=m["source"], entity=m["entity"], external_id=m["external_id"],
        location=m["location"], raw=m["raw"], reason=m["reason"],
        details=orjson.loads(m["details"] or "[]"), status=m["status"],
        first_seen_at=as_utc(m["first_seen_at"]) or m["first_seen_at"],
        last_seen_at=as_utc(m["last_seen_at"]) or m["last_seen_at"],
        times_seen=m["times_seen"],
    )


def list_entries(
    conn: Connection, *, status: str | None = OPEN, source: str | None = None, limit: int = 200
) -> list[QuarantineEntry]:
    stmt = sa.select(quarantine).order_by(quarantine.c.id).limit(limit)
    if status:
        stmt = stmt.where(quarantine.c.status == status)
    if source:
        stmt = stmt.where(quarantine.c.source == source)
    return [_entry(r) for r in conn.execute(stmt)]


def get(conn: Connection, entry_id: int) -> QuarantineEntry | None:
    row = conn.execute(sa.select(quarantine).where(quarantine.c.id == entry_id)).first()
    return _entry(row) if row else None


def mark_resolved(conn: Connection, entry_id: int, now: datetime) -> None:
    conn.execute(
        quarantine.update().where(quarantine.c.id == entry_id).values(
            status=RESOLVED, resolved_at=now
        )
    )


def update_reason(conn: Connection, entry_id: int, reason: str, now: datetime) -> None:
    conn.execute(
        quarantine.update().where(quarantine.c.id == entry_id).values(
            reason=_shown(reason), last_seen_at=now
        )
    )


def count_open(conn: Connection) -> dict[tuple[str, str], int]:
    stmt = (
        sa.select(quarantine.c.source, quarantine.c.entity, sa.func.count())
        .where(quarantine.c.status == OPEN)
        .group_by(quarantine.c.source, quarantine.c.entity)
    )
    return {(s, e): n for s, e, n in conn.execute(stmt)}
