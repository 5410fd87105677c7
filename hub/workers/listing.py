"""The latest jobs of the queue, each with the error of its last failed try."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.schedule.settings import describe
from hub.store import Engine, audit, jobs
from hub.store.clock import as_utc


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


def latest_jobs(engine: Engine, *, limit: int = 30, status: str | None = None) -> list[QueuedJob]:
    with engine.connect() as conn:
        rows = jobs.latest(conn, limit=limit, status=status)
        subjects = [f"job:{r.id}" for r in rows]
        errors: dict[str, str] = {}
        if subjects:
            for subject, details in audit.details_of(conn, "job.failed", subjects):
                errors[subject] = details.get("error", "")
    out = []
    for r in rows:
        when = r.scheduled_at if r.status == "todo" and r.scheduled_at else r.changed_at
        error = errors.get(f"job:{r.id}") if r.status in ("failed", "todo", "doing") else None
        out.append(QueuedJob(r.id, describe_task(r.task_name, r.args), r.status, r.attempts,
                             as_utc(when), error))
    return out
