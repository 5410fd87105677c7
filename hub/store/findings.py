"""Findings as the store keeps them: one row per problem, under a stable key.

The rules of their lifecycle (what a run inserts, updates, reopens or
resolves) are the reconciler's (:mod:`hub.reconcile.lifecycle`); this module
reads and writes the rows it decides on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.models.limits import EXCERPT_LENGTH, excerpt, excerpts
from hub.store.clock import as_utc
from hub.store.schema import TS, finding_history, findings

COMPARED = ("kind", "severity", "record_ids", "customer", "currency", "money_at_stake_minor",
            "explanation", "details")
"""The columns a later run compares with what it found."""

MAX_EXPLANATION = 2000
"""Characters of a finding's explanation kept: the rest of a value quoted is left out."""
MAX_DETAILS = 8000
"""Characters of a finding's details (JSON) kept as they are; longer ones have each text in
them cut to an excerpt, so a 10 MB memo is never copied into a finding."""


@dataclass(slots=True, frozen=True)
class FindingValues:
    """A finding as the store keeps it: its key and its columns, JSON already encoded.

    About a third of the memory of the :class:`~hub.reconcile.kinds.Finding` it
    encodes, so a run can keep a hundred thousand of them until the merge.
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

    def __post_init__(self) -> None:
        """Keep excerpts of long values, never the whole (see :data:`MAX_DETAILS`)."""
        if len(self.explanation) > MAX_EXPLANATION:
            object.__setattr__(self, "explanation", excerpt(self.explanation, MAX_EXPLANATION))
        if len(self.details) > MAX_DETAILS:
            cut = excerpts(orjson.loads(self.details), EXCERPT_LENGTH)
            object.__setattr__(self, "details", orjson.dumps(cut).decode())
        if self.customer is not None and len(self.customer) > 500:
            object.__setattr__(self, "customer", excerpt(self.customer, 450))

    def compared(self) -> tuple[Any, ...]:
        """The columns a later run compares, in :data:`COMPARED` order."""
        return (self.kind, self.severity, self.record_ids, self.customer, self.currency,
                self.money_at_stake_minor, self.explanation, self.details)

    def columns(self) -> dict[str, Any]:
        """The compared columns by name, for an insert or an update."""
        return dict(zip(COMPARED, self.compared(), strict=True))


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


def stored_states(conn: Connection, *, batch: int) -> Iterator[tuple[int, str, str,
                                                                      tuple[Any, ...]]]:
    """Every stored finding as (id, key, status, its :data:`COMPARED` values), streamed
    ``batch`` rows at a time."""
    cols = [findings.c.id, findings.c.key, findings.c.status, *(findings.c[c] for c in COMPARED)]
    stmt = sa.select(*cols).execution_options(yield_per=batch)
    for row in conn.execute(stmt):
        yield row.id, row.key, row.status, tuple(row[3:])


HISTORY = ("status", "kind", "severity", "record_ids", "customer", "currency",
           "money_at_stake_minor", "explanation", "details", "note", "actor", "resolved_at")
"""The columns of a finding's state that ``finding_history`` keeps, with the time."""

_HISTORY_CHUNK = 500


def _keep(conn: Connection, where: Any, now: datetime) -> None:
    """Copy the present state of the findings ``where`` selects into their history."""
    select = sa.select(findings.c.id, sa.literal(now, TS),
                       *(findings.c[c] for c in HISTORY)).where(where)
    conn.execute(sa.insert(finding_history).from_select(["finding_id", "at", *HISTORY], select))


def insert(conn: Connection, found: Sequence[FindingValues], *, status: str,
           now: datetime) -> None:
    """Store new findings with ``status``, first and last seen ``now``."""
    if found:
        conn.execute(findings.insert(), [
            {**f.columns(), "key": f.key, "status": status, "first_seen_at": now,
             "last_seen_at": now} for f in found])
        keys = [f.key for f in found]
        for start in range(0, len(keys), _HISTORY_CHUNK):
            _keep(conn, findings.c.key.in_(keys[start:start + _HISTORY_CHUNK]), now)


def found_again(conn: Connection, finding_id: int, values: FindingValues, *, now: datetime,
                reopen_as: tuple[str, str] | None = None) -> None:
    """Store what a run says now of a finding it found again, last seen ``now``.

    ``reopen_as``: (status, actor) to set as well, the note and the time of
    resolution cleared.
    """
    update = {**values.columns(), "last_seen_at": now}
    if reopen_as is not None:
        status, actor = reopen_as
        update.update(status=status, note=None, actor=actor, resolved_at=None)
    conn.execute(findings.update().where(findings.c.id == finding_id).values(**update))
    _keep(conn, findings.c.id == finding_id, now)


def set_status(conn: Connection, finding_id: int, status: str, *, note: str | None,
               actor: str, resolved_at: datetime | None, now: datetime) -> None:
    """Put a finding in ``status``, by ``actor``, with ``note`` and the time resolved;
    its history keeps the change at ``now``."""
    conn.execute(findings.update().where(findings.c.id == finding_id).values(
        status=status, note=note, actor=actor, resolved_at=resolved_at))
    _keep(conn, findings.c.id == finding_id, now)


def get(conn: Connection, finding_id: int) -> StoredFinding | None:
    """The finding with this id, or None."""
    row = conn.execute(sa.select(findings).where(findings.c.id == finding_id)).first()
    return None if row is None else _stored(row)


def select(conn: Connection, *, statuses: Sequence[str], kinds: Sequence[str] = (),
           customer: str | None = None) -> list[StoredFinding]:
    """Findings in ``statuses`` (all when empty), of ``kinds`` (all when empty), whose
    customer contains ``customer`` (any case), in no particular order."""
    stmt = sa.select(findings)
    if statuses:
        stmt = stmt.where(findings.c.status.in_(list(statuses)))
    if kinds:
        stmt = stmt.where(findings.c.kind.in_(list(kinds)))
    if customer:
        stmt = stmt.where(findings.c.customer.icontains(customer, autoescape=True))
    return [_stored(r) for r in conn.execute(stmt)]


@dataclass(slots=True, frozen=True)
class FindingState:
    """One state a finding was in (a row of ``finding_history``), written at ``at``."""

    at: datetime
    status: str
    severity: str
    customer: str | None
    currency: str | None
    money_at_stake_minor: int | None
    explanation: str
    note: str | None
    actor: str | None
    record_ids: list[int]


def history_of(conn: Connection, finding_id: int, *, until: datetime | None = None
               ) -> list[FindingState]:
    """Every state the finding was in, oldest first (those written at ``until`` or before)."""
    h = finding_history.c
    stmt = sa.select(finding_history).where(h.finding_id == finding_id)
    if until is not None:
        stmt = stmt.where(h.at <= until)
    out = []
    for row in conn.execute(stmt.order_by(h.at, h.id)):
        m = row._mapping
        out.append(FindingState(
            at=as_utc(m["at"]) or m["at"], status=m["status"], severity=m["severity"],
            customer=m["customer"], currency=m["currency"],
            money_at_stake_minor=m["money_at_stake_minor"], explanation=m["explanation"],
            note=m["note"], actor=m["actor"], record_ids=orjson.loads(m["record_ids"])))
    return out


def select_as_of(conn: Connection, moment: datetime, *, statuses: Sequence[str],
                 kinds: Sequence[str] = (), customer: str | None = None,
                 finding_id: int | None = None) -> list[StoredFinding]:
    """:func:`select` as the findings stood at ``moment``: each one's last state written at
    ``moment`` or before (findings first seen later are left out). Its ``last_seen_at`` is
    the time of that state, so that the answer does not change with later runs."""
    h = finding_history.c
    last = sa.select(sa.func.max(h.id)).where(h.at <= moment)
    if finding_id is not None:
        last = last.where(h.finding_id == finding_id)
    latest = last.group_by(h.finding_id).scalar_subquery()
    stmt = (sa.select(findings.c.id, findings.c.key, findings.c.first_seen_at,
                      *(h[c] for c in HISTORY), h.at)
            .select_from(finding_history.join(findings, findings.c.id == h.finding_id))
            .where(h.id.in_(latest)))
    if statuses:
        stmt = stmt.where(h.status.in_(list(statuses)))
    if kinds:
        stmt = stmt.where(h.kind.in_(list(kinds)))
    if customer:
        stmt = stmt.where(h.customer.icontains(customer, autoescape=True))
    if finding_id is not None:
        stmt = stmt.where(h.finding_id == finding_id)
    out = []
    for row in conn.execute(stmt):
        m = row._mapping
        out.append(StoredFinding(
            id=m["id"], key=m["key"], kind=m["kind"], severity=m["severity"],
            status=m["status"], record_ids=orjson.loads(m["record_ids"]),
            customer=m["customer"], currency=m["currency"],
            money_at_stake_minor=m["money_at_stake_minor"], explanation=m["explanation"],
            details=orjson.loads(m["details"] or "{}"), note=m["note"], actor=m["actor"],
            first_seen_at=as_utc(m["first_seen_at"]) or m["first_seen_at"],
            last_seen_at=as_utc(m["at"]) or m["at"], resolved_at=as_utc(m["resolved_at"])))
    return out


def naming(conn: Connection, record_id: int) -> list[StoredFinding]:
    """The findings (any status) whose records include ``record_id``, by id."""
    pattern = f"%{record_id}%"
    stmt = sa.select(findings).where(findings.c.record_ids.like(pattern)).order_by(findings.c.id)
    return [f for f in map(_stored, conn.execute(stmt)) if record_id in f.record_ids]
