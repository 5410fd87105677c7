"""Runs: every sync and push send is recorded with its counts and errors.

A run also keeps two of the same job from overlapping, on one machine or
several: :func:`begin` takes the store lock ``run:KIND:CONNECTOR``
(:mod:`hub.store.locks`) and holds it until :func:`recorded` has finished the
run. While another process holds it, the run is refused, naming the run under
way (its host, pid and start). With the lock in hand the check and the insert
are one step: runs still marked running were left by a process that died
(the lock dies with its process), and are closed as interrupted.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.contract.outcomes import EntityCounts, RunSummary
from hub.errors import HubError
from hub.secrets import redact
from hub.store import audit, locks
from hub.store.clock import as_utc
from hub.store.schema import runs

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
INTERRUPTED = "interrupted"


class AlreadyRunning(HubError):
    """Another process, on this machine or another, is running the same job for the same
    connector."""


_HELD: dict[int, locks.Held] = {}
"""The run lock of each run this process began and has not finished."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(conn: Connection, kind: str, connector: str, now: datetime) -> int:
    result = conn.execute(
        runs.insert().values(
            kind=kind, connector=connector, status=RUNNING, started_at=now, counts="{}",
            pid=os.getpid(), host=socket.gethostname(),
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def live_run(conn: Connection, kind: str, connector: str) -> tuple[int, int] | None:
    """(run id, pid) of a run of ``connector`` still in progress on this host, if any."""
    host = socket.gethostname()
    rows = conn.execute(
        sa.select(runs.c.id, runs.c.pid, runs.c.host).where(
            runs.c.kind == kind, runs.c.connector == connector, runs.c.status == RUNNING
        )
    ).all()
    for rid, pid, rhost in rows:
        if rhost == host and pid is not None and pid != os.getpid() and _pid_alive(pid):
            return rid, pid
    return None


_AFTER_A_CRASH = {
    "sync": "the next sync resumed from the last committed page",
    "push": "the changes it had not recorded went again, with the same keys, at the next send",
}


def close_abandoned(conn: Connection, kind: str, connector: str, now: datetime, *,
                    anywhere: bool = False) -> list[int]:
    """Mark runs whose process died (killed, power cut) as interrupted.

    Without ``anywhere`` only runs of this host whose process is gone; with it
    (the caller holds the run lock, so no process anywhere runs one) every run
    still marked running, except this process's own.
    """
    host = socket.gethostname()
    closed: list[int] = []
    rows = conn.execute(
        sa.select(runs.c.id, runs.c.pid, runs.c.host).where(
            runs.c.kind == kind, runs.c.connector == connector, runs.c.status == RUNNING
        )
    ).all()
    for rid, pid, rhost in rows:
        here = rhost == host
        if (anywhere and not (here and pid == os.getpid())) or (
                here and (pid is None or not _pid_alive(pid))):
            conn.execute(
                runs.update().where(runs.c.id == rid).values(
                    status=INTERRUPTED, finished_at=now,
                    error="the process stopped before the run finished (killed or crashed); "
                          + _AFTER_A_CRASH.get(kind, "the next run took over"),
                )
            )
            closed.append(rid)
    return closed


def add_counts(conn: Connection, run_id: int, entity: str, counts: EntityCounts) -> None:
    current = conn.execute(sa.select(runs.c.counts).where(runs.c.id == run_id)).scalar() or "{}"
    data: dict[str, Any] = orjson.loads(current)
    merged = EntityCounts.from_dict(data.get(entity, {}))
    merged.add(counts)
    data[entity] = merged.as_dict()
    conn.execute(
        runs.update().where(runs.c.id == run_id).values(counts=orjson.dumps(data).decode())
    )


def finish(
    conn: Connection, run_id: int, status: str, now: datetime, error: str | None = None
) -> None:
    conn.execute(
        runs.update().where(runs.c.id == run_id).values(status=status, finished_at=now, error=error)
    )


def _summary(row: sa.Row[Any]) -> RunSummary:
    m = row._mapping
    counts = {k: EntityCounts.from_dict(v) for k, v in orjson.loads(m["counts"] or "{}").items()}
    return RunSummary(
        run_id=m["id"], kind=m["kind"], connector=m["connector"], status=m["status"],
        started_at=as_utc(m["started_at"]) or m["started_at"],
        finished_at=as_utc(m["finished_at"]), counts=counts, error=m["error"],
    )


def get(conn: Connection, run_id: int) -> RunSummary | None:
    row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
    return _summary(row) if row else None


def recent(conn: Connection, limit: int = 20, connector: str | None = None) -> list[RunSummary]:
    stmt = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
    if connector:
        stmt = stmt.where(runs.c.connector == connector)
    return [_summary(r) for r in conn.execute(stmt)]


def lock_name(kind: str, connector: str) -> str:
    """The store lock a run of ``kind`` for ``connector`` holds."""
    return f"run:{kind}:{connector}"


def _holder(conn: Connection, kind: str, connector: str) -> str:
    """Who runs ``kind`` for ``connector`` now: ``run 7, pid 4242 on host-b, since ...``."""
    row = conn.execute(
        sa.select(runs.c.id, runs.c.pid, runs.c.host, runs.c.started_at).where(
            runs.c.kind == kind, runs.c.connector == connector, runs.c.status == RUNNING,
        ).order_by(runs.c.id.desc()).limit(1)
    ).first()
    if row is None:
        return "another process holds its lock and is starting it"
    since = as_utc(row.started_at) or row.started_at
    return (f"run {row.id}, pid {row.pid} on {row.host}, "
            f"since {since:%Y-%m-%d %H:%M:%S} UTC")


def begin(conn: Connection, kind: str, connector: str, now: datetime, *, doing: str,
          busy: type[AlreadyRunning] = AlreadyRunning) -> int:
    """Start a run of ``kind`` for ``connector``, unless one is under way anywhere.

    Takes the run's store lock (:func:`lock_name`), held until :func:`recorded`
    finishes the run (or the transaction of ``conn`` is rolled back). ``doing``
    names the job for the error ``busy`` raised when another process holds it
    (``a sync of 'books' is already running (run 7, pid 4242 on host-b, since
    ...)``). Runs left behind by a process that died are closed as interrupted,
    in the audit log.
    """
    engine = conn.engine
    held = locks.try_hold(engine, lock_name(kind, connector))
    other = live_run(conn, kind, connector) if held is not None else None
    if held is None or other is not None:  # (a live process without the lock: older code)
        if held is not None:
            held.release()
        raise busy(f"{doing} is already running ({_holder(conn, kind, connector)})",
                   hint="wait for it to finish; `billing-hub status` shows it")
    try:
        for rid in close_abandoned(conn, kind, connector, now, anywhere=True):
            audit.record(conn, "run.interrupted", subject=f"run:{rid}", actor="billing-hub",
                         details={"connector": connector, "kind": kind})
        run_id = start(conn, kind, connector, now)
    except BaseException:
        held.release()
        raise
    _HELD[run_id] = held
    sa.event.listen(conn, "rollback", lambda _conn: release(run_id), once=True)
    return run_id


def release(run_id: int) -> None:
    """Free the lock of run ``run_id`` (begun by this process), if it holds one."""
    held = _HELD.pop(run_id, None)
    if held is not None:
        held.release()


@dataclass
class Outcome:
    """How a run under :func:`recorded` ends: succeeded unless told or raised otherwise."""

    status: str = SUCCEEDED
    error: str | None = None

    def fail(self, error: str) -> None:
        """End the run as failed with ``error`` although nothing was raised."""
        self.status, self.error = FAILED, error


def failure_text(exc: BaseException) -> str:
    """What a run records of the error that stopped it (secrets replaced)."""
    if isinstance(exc, HubError):
        return redact(str(exc))
    return f"{type(exc).__name__}: {redact(str(exc))}"


@contextmanager
def recorded(engine: Engine, run_id: int,
             clock: Callable[[], datetime]) -> Iterator[Outcome]:
    """Finish run ``run_id`` when the block ends, however it ends.

    The block may call :meth:`Outcome.fail`; an exception is recorded
    (Ctrl-C as interrupted, anything else as failed with its text) and raised
    on. The finish is committed on its own, so it stands even when the block's
    own transaction was rolled back.
    """
    outcome = Outcome()
    try:
        yield outcome
    except KeyboardInterrupt:
        outcome.status, outcome.error = INTERRUPTED, "stopped by the user (Ctrl-C)"
        raise
    except Exception as exc:
        outcome.fail(failure_text(exc))
        raise
    finally:
        try:
            with engine.begin() as conn:
                finish(conn, run_id, outcome.status, clock(), outcome.error)
        finally:
            release(run_id)
