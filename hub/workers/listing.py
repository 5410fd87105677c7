"""The latest jobs of the queue, each with the error of its last failed try."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.schedule.settings import describe
from hub.store.clock import as_utc
from hub.store.schema import audit_log


def describe_task(task_name: str, args: Mapping[str, Any]) -> str:
    """``sync of stripe`` for a job of ``billing_hub.sync`` with ``connector="stripe"``."""
    task = task_name.removeprefix("billing_hub.")
    if task == "webhook_sync":
        return f"sync of {args.get('connector')} (webhooks)"
    if task == "push_send":
        return describe("push", str(args.get("target")))
    if task == "requeue_stalled":
        return "requeue stalled jobs"
    return describe(task, str(args["connector"]) if "connector" in args else None)


@dataclass(frozen=True, slots=True)
class QueuedJob:
    id: int
    what: str
    status: str
    """procrastinate's: todo, doing, succeeded, failed, cancelled, aborted."""
    attempts: int
    when: datetime | None
    """When it is due (queued), else when its status last changed."""
    error: str | None


_JOBS = sa.text("""
    SELECT j.id, j.task_name, j.args, j.status::text AS status, j.attempts, j.scheduled_at,
           (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS changed_at
      FROM procrastinate_jobs j
     WHERE (CAST(:status AS text) IS NULL OR j.status::text = :status)
     ORDER BY j.id DESC
     LIMIT :limit
""")


def latest_jobs(engine: Engine, *, limit: int = 30, status: str | None = None) -> list[QueuedJob]:
    with engine.connect() as conn:
        rows = conn.execute(_JOBS, {"status": status, "limit": limit}).all()
        subjects = [f"job:{r.id}" for r in rows]
        errors: dict[str, str] = {}
        if subjects:
            found = conn.execute(
                sa.select(audit_log.c.subject, audit_log.c.details)
                .where(audit_log.c.action == "job.failed", audit_log.c.subject.in_(subjects))
                .order_by(audit_log.c.id))
            for subject, details in found:
                errors[subject] = orjson.loads(details).get("error", "")
    out = []
    for r in rows:
        args = r.args if isinstance(r.args, dict) else orjson.loads(r.args)
        when = r.scheduled_at if r.status == "todo" and r.scheduled_at else r.changed_at
        error = errors.get(f"job:{r.id}") if r.status in ("failed", "todo", "doing") else None
        out.append(QueuedJob(r.id, describe_task(r.task_name, args), r.status, r.attempts,
                             as_utc(when), error))
    return out
