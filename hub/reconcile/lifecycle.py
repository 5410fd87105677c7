"""Findings in the store: one row per problem, kept across runs.

A run's findings are merged by key: a new problem is inserted as ``open``; one
found again keeps its status (an ``acknowledged`` or ``ignored`` finding stays
so) and is updated only if what it says changed; one that was resolved but
is found again is reopened. An open or acknowledged finding whose condition no
longer holds is resolved automatically. Every change of status is audited, so
re-running the reconciler on unchanged data changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.errors import HubError
from hub.models.money import to_minor_units
from hub.reconcile.kinds import Finding
from hub.store import audit
from hub.store.clock import as_utc
from hub.store.schema import findings

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
IGNORED = "ignored"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED, IGNORED)
RECONCILER = "billing-hub"


@dataclass(slots=True)
class MergeResult:
    """What one reconcile run did to the stored findings."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0
    auto_resolved: int = 0


@dataclass(slots=True, frozen=True)
class FindingValues:
    """A finding as the store keeps it: its key and its columns, JSON already encoded.

    About a third of the memory of the :class:`Finding` it encodes, so a run
    can keep a hundred thousand of them until the merge.
    """

    key: str
    kind: str
    severity: str
    record_ids: str
    customer: str | None
    currency: str | None
    money_at_stake_minor: int | None
    explanation: str
    details: str

    def compared(self) -> tuple[Any, ...]:
        """The columns a later run compares, in :data:`_COMPARED` order."""
        return (self.kind, self.severity, self.record_ids, self.customer, self.currency,
                self.money_at_stake_minor, self.explanation, self.details)

    def columns(self) -> dict[str, Any]:
        """The compared columns by name, for an insert or an update."""
        return dict(zip(_COMPARED, self.compared(), strict=True))


def encode(f: Finding) -> FindingValues:
    """The store's columns for a finding."""
    if f.severity is None:
        raise ValueError(f"finding {f.key!r} has no severity (the reconciler gives a "
                         "finding its kind's default)")
    money = None
    if f.money_at_stake is not None and f.currency:
        money = to_minor_units(f.money_at_stake, f.currency)
    kind = f.kind.value if isinstance(f.kind, Enum) else f.kind  # shared, not a copy each
    return FindingValues(
        f.key, kind, str(f.severity),
        orjson.dumps(sorted(f.record_ids)).decode(),
        f.customer, f.currency, money, f.explanation,
        orjson.dumps(f.details, option=orjson.OPT_SORT_KEYS, default=str).decode())


_COMPARED = ("kind", "severity", "record_ids", "customer", "currency", "money_at_stake_minor",
             "explanation", "details")
_BATCH = 2_000


def _digest(values: tuple[Any, ...]) -> bytes:
    """Equal for equal column values (strings, integers and None)."""
    return hashlib.blake2b(orjson.dumps(values, default=str), digest_size=16).digest()


@dataclass(slots=True)
class _Existing:
    id: int
    status: str
    kind: str
    digest: bytes


def _existing(conn: Connection) -> dict[str, _Existing]:
    """Every stored finding by key, with a digest of what it says (not the text itself)."""
    cols = [findings.c.id, findings.c.key, findings.c.status, *(findings.c[c] for c in _COMPARED)]
    stmt = sa.select(*cols).execution_options(yield_per=_BATCH)
    return {row.key: _Existing(row.id, row.status, row.kind, _digest(tuple(row[3:])))
            for row in conn.execute(stmt)}


def merge(conn: Connection, found: Iterable[Finding | FindingValues], now: datetime
          ) -> MergeResult:
    """Store this run's findings and resolve the ones that no longer hold."""
    result = MergeResult()
    existing = _existing(conn)
    seen: set[str] = set()
    inserts: list[dict[str, Any]] = []
    for item in found:
        f = item if isinstance(item, FindingValues) else encode(item)
        if f.key in seen:
            continue
        seen.add(f.key)
        row = existing.get(f.key)
        if row is None:
            inserts.append({**f.columns(), "key": f.key, "status": OPEN, "first_seen_at": now,
                            "last_seen_at": now})
            result.new += 1
            if len(inserts) == _BATCH:
                conn.execute(findings.insert(), inserts)
                inserts = []
            continue
        changed = _digest(f.compared()) != row.digest
        reopen = row.status == RESOLVED
        if not changed and not reopen:
            result.unchanged += 1
            continue
        update = {**f.columns(), "last_seen_at": now}
        if reopen:
            update.update(status=OPEN, note=None, actor=RECONCILER, resolved_at=None)
            audit.record(conn, "finding.reopened", subject=f"finding:{row.id}",
                         actor=RECONCILER, details={"key": f.key, "why": "found again"}, at=now)
            result.reopened += 1
        else:
            result.updated += 1
        conn.execute(findings.update().where(findings.c.id == row.id).values(**update))
    if inserts:
        conn.execute(findings.insert(), inserts)
    gone = [(key, row) for key, row in existing.items()
            if key not in seen and row.status in (OPEN, ACKNOWLEDGED)]
    for key, row in gone:
        conn.execute(findings.update().where(findings.c.id == row.id).values(
            status=RESOLVED, resolved_at=now, actor=RECONCILER,
            note="resolved automatically: the records agree again"))
        audit.record(conn, "finding.auto_resolved", subject=f"finding:{row.id}",
                     actor=RECONCILER, details={"key": key, "kind": row.kind}, at=now)
    result.auto_resolved = len(gone)
    return result


@dataclass(slots=True)
class StoredFinding:
    """A finding as the store keeps it."""

    id: int
    key: str
    kind: str
    severity: str
    status: str
    record_ids: list[int]
    customer: str | None
    currency: str | None
    money_at_stake_minor: int | None
    explanation: str
    details: dict[str, Any]
    note: str | None
    actor: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


def _stored(row: Any) -> StoredFinding:
    m = row._mapping
    return StoredFinding(
        id=m["id"], key=m["key"], kind=m["kind"], severity=m["severity"], status=m["status"],
        record_ids=orjson.loads(m["record_ids"]), customer=m["customer"],
        currency=m["currency"], money_at_stake_minor=m["money_at_stake_minor"],
        explanation=m["explanation"], details=orjson.loads(m["details"] or "{}"),
        note=m["note"], actor=m["actor"],
        first_seen_at=as_utc(m["first_seen_at"]) or m["first_seen_at"],
        last_seen_at=as_utc(m["last_seen_at"]) or m["last_seen_at"],
        resolved_at=as_utc(m["resolved_at"]),
    )


def get(conn: Connection, finding_id: int) -> StoredFinding:
    row = conn.execute(sa.select(findings).where(findings.c.id == finding_id)).first()
    if row is None:
        raise HubError(f"no finding {finding_id}",
                       hint="`billing-hub findings list` shows the open ones with their ids")
    return _stored(row)


def select(
    conn: Connection, *, statuses: Sequence[str] = (OPEN, ACKNOWLEDGED),
    kinds: Sequence[str] = (), customer: str | None = None,
) -> list[StoredFinding]:
    """Findings filtered in the database; the caller sorts and filters on money and age."""
    stmt = sa.select(findings)
    if statuses:
        stmt = stmt.where(findings.c.status.in_(list(statuses)))
    if kinds:
        stmt = stmt.where(findings.c.kind.in_(list(kinds)))
    if customer:
        stmt = stmt.where(findings.c.customer.icontains(customer, autoescape=True))
    return [_stored(r) for r in conn.execute(stmt)]


def set_status(conn: Connection, finding_id: int, status: str, *, note: str | None,
               actor: str, now: datetime) -> StoredFinding:
    """A person acknowledges, resolves, ignores or reopens a finding."""
    if status not in STATUSES:
        raise HubError(f"unknown status {status!r}", hint=f"use one of: {', '.join(STATUSES)}")
    current = get(conn, finding_id)
    if status == IGNORED and not note:
        raise HubError("say why the finding is ignored", hint='add --note "why"')
    conn.execute(findings.update().where(findings.c.id == finding_id).values(
        status=status, note=note, actor=actor,
        resolved_at=now if status in (RESOLVED, IGNORED) else None))
    audit.record(conn, f"finding.{status}", subject=f"finding:{finding_id}", actor=actor,
                 details={"from": current.status, "note": note, "key": current.key}, at=now)
    return get(conn, finding_id)
