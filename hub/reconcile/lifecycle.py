"""Findings in the store: one row per problem, kept across runs.

A run's findings are merged by key: a new problem is inserted as ``open``; one
found again keeps its status (an ``acknowledged`` or ``ignored`` finding stays
so) and is updated only if what it says changed; one that was resolved but
is found again is reopened. An open or acknowledged finding whose condition no
longer holds is resolved automatically. Every change of status is audited, so
re-running the reconciler on unchanged data changes nothing.

The rows themselves are read and written by :mod:`hub.store.findings`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import orjson

from hub.errors import HubError
from hub.money import to_minor_units
from hub.reconcile.kinds import Finding
from hub.store import Connection, audit
from hub.store import findings as store_findings
from hub.store.findings import FindingValues, StoredFinding

__all__ = ["ACKNOWLEDGED", "IGNORED", "OPEN", "RECONCILER", "RESOLVED", "STATUSES",
           "FindingValues", "MergeResult", "StoredFinding", "encode", "get", "merge", "select",
           "select_as_of", "set_status", "upsert"]

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
    return {key: _Existing(fid, status, compared[0], _digest(compared))
            for fid, key, status, compared in store_findings.stored_states(conn, batch=_BATCH)}


def merge(conn: Connection, found: Iterable[Finding | FindingValues], now: datetime
          ) -> MergeResult:
    """Store this run's findings and resolve the ones that no longer hold."""
    result = MergeResult()
    existing = _existing(conn)
    seen: set[str] = set()
    inserts: list[FindingValues] = []
    for item in found:
        f = item if isinstance(item, FindingValues) else encode(item)
        if f.key in seen:
            continue
        seen.add(f.key)
        row = existing.get(f.key)
        if row is None:
            inserts.append(f)
            result.new += 1
            if len(inserts) == _BATCH:
                store_findings.insert(conn, inserts, status=OPEN, now=now)
                inserts = []
            continue
        changed = _digest(f.compared()) != row.digest
        reopen = row.status == RESOLVED
        if not changed and not reopen:
            result.unchanged += 1
            continue
        if reopen:
            audit.record(conn, "finding.reopened", subject=f"finding:{row.id}",
                         actor=RECONCILER, details={"key": f.key, "why": "found again"}, at=now)
            result.reopened += 1
        else:
            result.updated += 1
        store_findings.found_again(conn, row.id, f, now=now,
                                   reopen_as=(OPEN, RECONCILER) if reopen else None)
    store_findings.insert(conn, inserts, status=OPEN, now=now)
    gone = [(key, row) for key, row in existing.items()
            if key not in seen and row.status in (OPEN, ACKNOWLEDGED)]
    for key, row in gone:
        store_findings.set_status(conn, row.id, RESOLVED, actor=RECONCILER, resolved_at=now,
                                  now=now,
                                  note="resolved automatically: the records agree again")
        audit.record(conn, "finding.auto_resolved", subject=f"finding:{row.id}",
                     actor=RECONCILER, details={"key": key, "kind": row.kind}, at=now)
    result.auto_resolved = len(gone)
    return result


def upsert(conn: Connection, found: Iterable[Finding], now: datetime) -> MergeResult:
    """Store these findings as :func:`merge` would (new, changed, reopened), without
    resolving any other: for findings a command raises between two reconcile runs."""
    result = MergeResult()
    existing = _existing(conn)
    inserts: list[FindingValues] = []
    for item in found:
        f = encode(item)
        row = existing.get(f.key)
        if row is None:
            inserts.append(f)
            result.new += 1
            continue
        reopen = row.status == RESOLVED
        if _digest(f.compared()) == row.digest and not reopen:
            result.unchanged += 1
            continue
        if reopen:
            audit.record(conn, "finding.reopened", subject=f"finding:{row.id}",
                         actor=RECONCILER, details={"key": f.key, "why": "found again"}, at=now)
            result.reopened += 1
        else:
            result.updated += 1
        store_findings.found_again(conn, row.id, f, now=now,
                                   reopen_as=(OPEN, RECONCILER) if reopen else None)
    store_findings.insert(conn, inserts, status=OPEN, now=now)
    return result


def get(conn: Connection, finding_id: int) -> StoredFinding:
    found = store_findings.get(conn, finding_id)
    if found is None:
        raise HubError(f"no finding {finding_id}",
                       hint="`billing-hub findings list` shows the open ones with their ids")
    return found


def select(
    conn: Connection, *, statuses: Sequence[str] = (OPEN, ACKNOWLEDGED),
    kinds: Sequence[str] = (), customer: str | None = None,
) -> list[StoredFinding]:
    """Findings filtered in the database; the caller sorts and filters on money and age."""
    return store_findings.select(conn, statuses=statuses, kinds=kinds, customer=customer)


def select_as_of(conn: Connection, moment: datetime, *, statuses: Sequence[str],
                 kinds: Sequence[str] = (), customer: str | None = None,
                 finding_id: int | None = None) -> list[StoredFinding]:
    """:func:`select` as the findings stood at ``moment`` (their history); only the one
    finding ``finding_id`` when given."""
    return store_findings.select_as_of(conn, moment, statuses=statuses, kinds=kinds,
                                       customer=customer, finding_id=finding_id)


def set_status(conn: Connection, finding_id: int, status: str, *, note: str | None,
               actor: str, now: datetime) -> StoredFinding:
    """A person acknowledges, resolves, ignores or reopens a finding."""
    if status not in STATUSES:
        raise HubError(f"unknown status {status!r}", hint=f"use one of: {', '.join(STATUSES)}")
    current = get(conn, finding_id)
    if status == IGNORED and not note:
        raise HubError("say why the finding is ignored", hint='add --note "why"')
    store_findings.set_status(conn, finding_id, status, note=note, actor=actor, now=now,
                              resolved_at=now if status in (RESOLVED, IGNORED) else None)
    audit.record(conn, f"finding.{status}", subject=f"finding:{finding_id}", actor=actor,
                 details={"from": current.status, "note": note, "key": current.key}, at=now)
    return get(conn, finding_id)
