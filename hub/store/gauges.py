"""What an operator's monitoring reads from the store: the counts behind ``GET /metrics``
and the state behind ``GET /healthz`` (:mod:`hub.web.health`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from hub.store.database import _revision, head_revision
from hub.store.runs import SUCCEEDED
from hub.store.schema import findings, outbox, quarantine, runs


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """Whether the store answered, and its schema revision against the code's newest."""

    reachable: bool
    revision: str | None
    head: str
    error: str | None = None

    @property
    def healthy(self) -> bool:
        return self.reachable and self.revision == self.head


def store_health(engine: Engine) -> StoreHealth:
    """Ask the store for its schema revision; an unreachable store is answered, not raised."""
    head = head_revision()
    try:
        revision = _revision(engine)
    except DBAPIError as exc:
        return StoreHealth(False, None, head, error=type(exc.orig).__name__)
    return StoreHealth(True, revision, head)


@dataclass(slots=True)
class Gauges:
    """Counts of the store's work, read in one transaction."""

    runs: dict[tuple[str, str], int] = field(default_factory=dict)
    """(kind, status) -> how many runs."""
    open_findings: dict[str, int] = field(default_factory=dict)
    """finding kind -> how many are open."""
    quarantine_open: int = 0
    outbox_pending: int = 0
    last_sync_success: dict[str, datetime] = field(default_factory=dict)
    """connector -> when its last successful sync finished."""


def read_gauges(conn: Connection) -> Gauges:
    """The counts behind the Prometheus metrics."""
    out = Gauges()
    for kind, status, n in conn.execute(
            sa.select(runs.c.kind, runs.c.status, sa.func.count())
            .group_by(runs.c.kind, runs.c.status)):
        out.runs[(str(kind), str(status))] = int(n)
    for kind, n in conn.execute(
            sa.select(findings.c.kind, sa.func.count()).where(findings.c.status == "open")
            .group_by(findings.c.kind)):
        out.open_findings[str(kind)] = int(n)
    out.quarantine_open = int(conn.execute(
        sa.select(sa.func.count()).select_from(quarantine)
        .where(quarantine.c.status == "open")).scalar_one())
    out.outbox_pending = int(conn.execute(
        sa.select(sa.func.count()).select_from(outbox)
        .where(outbox.c.status == "pending")).scalar_one())
    for connector, finished in conn.execute(
            sa.select(runs.c.connector, sa.func.max(runs.c.finished_at))
            .where(runs.c.kind == "sync", runs.c.status == SUCCEEDED)
            .group_by(runs.c.connector)):
        if finished is not None:
            out.last_sync_success[str(connector)] = finished
    return out
