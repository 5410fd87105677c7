"""The workers' job queue: procrastinate's tables, in the store's PostgreSQL database.

procrastinate reads and writes its tables itself while workers run; what the
hub does with them besides (create them once, list the latest jobs) is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

_SCHEMA_LOCK = 0x6268_776B  # "bhwk": one process at a time creates the tables


def has_tables(engine: Engine) -> bool:
    """Whether procrastinate's tables are in the store's schema."""
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    return found is not None


def create_tables(engine: Engine) -> bool:
    """Create procrastinate's tables in the store's schema unless they are there.

    Returns True when it created them. Several workers starting at once wait
    for each other (an advisory lock), so the tables are created once.
    """
    from procrastinate.schema import SchemaManager

    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        if conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar():
            return False
        cursor = conn.connection.cursor()
        try:
            cursor.execute(SchemaManager.get_schema())  # no parameters: no % escapes
        finally:
            cursor.close()
    return True


@dataclass(frozen=True, slots=True)
class Job:
    """A job of the queue as procrastinate keeps it."""

    id: int
    task_name: str
    args: dict[str, Any]
    status: str
    """procrastinate's: todo, doing, succeeded, failed, cancelled, aborted."""
    attempts: int
    scheduled_at: datetime | None
    changed_at: datetime | None
    """When its status last changed (its latest event)."""


_JOBS = sa.text("""
    SELECT j.id, j.task_name, j.args, j.status::text AS status, j.attempts, j.scheduled_at,
           (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS changed_at
      FROM procrastinate_jobs j
     WHERE (CAST(:status AS text) IS NULL OR j.status::text = :status)
     ORDER BY j.id DESC
     LIMIT :limit
""")


def latest(conn: Connection, *, limit: int, status: str | None = None) -> list[Job]:
    """The latest ``limit`` jobs (in ``status``, if given), newest first."""
    rows = conn.execute(_JOBS, {"status": status, "limit": limit}).all()
    return [Job(r.id, r.task_name, r.args if isinstance(r.args, dict) else orjson.loads(r.args),
                r.status, r.attempts, r.scheduled_at, r.changed_at) for r in rows]
