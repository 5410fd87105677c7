"""Records that could not be accepted, kept with their raw content and a reason.

Nothing a source sent is lost: a rejected record waits here until someone
fixes the source or the mapping and retries it. The same bad record seen
again on a later sync is counted on its existing entry, not added twice.

A person may *dismiss* an entry with a reason (a row they know to be noise):
it is no longer open, so it fails no sync, and since entries are keyed by
the raw content, the same row seen again stays dismissed. Dismissing and
restoring are written to the audit log with who did it and why.
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

from hub.errors import HubError, RecordRejected
from hub.models.limits import ID_LENGTH
from hub.store import audit
from hub.store.clock import as_utc
from hub.store.schema import quarantine

OPEN = "open"
RESOLVED = "resolved"
DISMISSED = "dismissed"


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


@dataclass(slots=True)
class Added:
    """What :func:`add_all` did: entries made, and rejects left open or kept dismissed."""

    new: int = 0
    open: int = 0
    dismissed: int = 0


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
    return add_all(conn, source, entity, rejected, run_id=run_id, now=now).new


def add_all(
    conn: Connection,
    source: str,
    entity: str,
    rejected: Sequence[RecordRejected],
    *,
    run_id: int | None,
    now: datetime,
) -> Added:
    """Quarantine ``rejected``: a reject matching a dismissed entry stays dismissed, any
    other is (again) open."""
    added = Added()
    for rej in rejected:
        raw = _raw_text(rej.raw)
        fp = fingerprint(raw)
        existing = conn.execute(
            sa.select(quarantine.c.id, quarantine.c.status).where(
                quarantine.c.source == source,
                quarantine.c.entity == (rej.entity or entity),
                quarantine.c.fingerprint == fp,
            )
        ).first()
        dismissed = existing is not None and existing.status == DISMISSED
        values: dict[str, Any] = {
            "location": _shown(rej.location or ""),
            "reason": _shown(rej.reason),
            "details": _details(rej.details),
            "last_seen_at": now,
            "run_id": run_id,
        }
        if not dismissed:
            values.update(status=OPEN, resolved_at=None)
        if existing is None:
            conn.execute(
                quarantine.insert().values(
                    source=source, entity=rej.entity or entity, fingerprint=fp,
                    external_id=_external_id(rej.external_id), raw=raw, first_seen_at=now,
                    times_seen=1,
                    **values,
                )
            )
            added.new += 1
        else:
            conn.execute(
                quarantine.update()
                .where(quarantine.c.id == existing.id)
                .values(times_seen=quarantine.c.times_seen + 1, **values)
            )
        if dismissed:
            added.dismissed += 1
        else:
            added.open += 1
    return added


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


def dismiss(conn: Connection, entry_id: int, reason: str, *, actor: str | None,
            now: datetime) -> QuarantineEntry:
    """Set an open entry aside for ``reason`` (audited); a later sync leaves it dismissed."""
    entry = _changeable(conn, entry_id, OPEN, "only an open entry can be dismissed")
    if not reason.strip():
        raise HubError("say why the entry is dismissed", hint='--reason "..."')
    conn.execute(quarantine.update().where(quarantine.c.id == entry_id).values(
        status=DISMISSED, resolved_at=now))
    audit.record(conn, "quarantine.dismissed", subject=f"quarantine:{entry_id}", actor=actor,
                 details={"reason": reason.strip(), "location": entry.location}, at=now)
    return entry


def restore(conn: Connection, entry_id: int, *, actor: str | None,
            now: datetime) -> QuarantineEntry:
    """Open a dismissed entry again (audited)."""
    entry = _changeable(conn, entry_id, DISMISSED, "only a dismissed entry can be restored")
    conn.execute(quarantine.update().where(quarantine.c.id == entry_id).values(
        status=OPEN, resolved_at=None))
    audit.record(conn, "quarantine.restored", subject=f"quarantine:{entry_id}", actor=actor,
                 details={"location": entry.location}, at=now)
    return entry


def _changeable(conn: Connection, entry_id: int, status: str, refusal: str) -> QuarantineEntry:
    entry = get(conn, entry_id)
    if entry is None:
        raise HubError(f"no quarantine entry {entry_id}",
                       hint="`billing-hub quarantine list --all` shows every entry")
    if entry.status != status:
        raise HubError(f"quarantine entry {entry_id} is {entry.status}: {refusal}")
    return entry


def history(conn: Connection, entry_id: int) -> list[audit.AuditEntry]:
    """Who dismissed or restored this entry, when and why, oldest first."""
    return list(reversed(audit.for_subject(conn, f"quarantine:{entry_id}")))
