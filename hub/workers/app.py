"""The procrastinate app: the hub's tasks, their locks and retries, the schedule.

Tasks (names kept stable: queued jobs refer to them):

- ``billing_hub.sync(connector)``: lock and queueing lock ``sync:NAME``;
- ``billing_hub.reconcile()``: lock ``reconcile``;
- ``billing_hub.push_send(target)``: lock ``push:NAME``;
- ``billing_hub.collect()``: lock ``collect`` (reminders, ``[collections]``);
- ``billing_hub.webhooks()``: finds the connectors whose webhook deliveries
  wait for a sync and defers ``billing_hub.webhook_sync(connector)`` for each,
  under the connector's ``sync:NAME`` lock: a sync asked for by webhooks never
  runs beside a scheduled sync of the same connector either;
- ``billing_hub.requeue_stalled()``, every minute: a job whose worker stopped
  sending heartbeats (killed, machine gone) is queued again, which frees its
  connector's lock; if the same job was queued meanwhile (its queueing lock),
  the stalled one is marked failed instead and the queued one does the work.

A lock keeps a second job with the same lock from starting while one runs
(on any worker); a queueing lock refuses a second *waiting* job, so a
periodic tick while one waits adds nothing. Failures that may pass
(:func:`~hub.schedule.work.worth_retrying`) are retried ``[schedule]
retries`` times, waiting ``retry_wait_seconds`` doubled each time (at most
an hour); every failed try is written to the audit log (``job.failed``), which
``billing-hub jobs list`` shows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryDecision
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Job, Status
from procrastinate.retry import BaseRetryStrategy
from procrastinate.worker import Worker

from hub.schedule.settings import ScheduledJob, ScheduleSettings
from hub.schedule.work import JobRunner, error_text, worth_retrying
from hub.store import URL, audit
from hub.workers.database import conninfo
from hub.workers.listing import describe_task

SYNC = "billing_hub.sync"
RECONCILE = "billing_hub.reconcile"
PUSH = "billing_hub.push_send"
WEBHOOKS = "billing_hub.webhooks"
WEBHOOK_SYNC = "billing_hub.webhook_sync"
REQUEUE_STALLED = "billing_hub.requeue_stalled"
COLLECT = "billing_hub.collect"

TASK_OF = {"sync": SYNC, "reconcile": RECONCILE, "push": PUSH, "webhooks": WEBHOOKS,
           "collect": COLLECT}
"""The procrastinate task of each ``[[schedule.jobs]]`` task."""

MAX_RETRY_WAIT = 3600.0
STALLED_AFTER = 60.0
"""Seconds without a heartbeat (sent every 10 s) before a worker's job is queued again."""
HEARTBEAT = 10.0


def locks(task: str, argument: str | None) -> tuple[str, str]:
    """(lock, queueing lock) of a job."""
    if task in ("sync", SYNC):
        return f"sync:{argument}", f"sync:{argument}"
    if task == WEBHOOK_SYNC:
        return f"sync:{argument}", f"webhooks:{argument}"
    if task in ("push", PUSH):
        return f"push:{argument}", f"push:{argument}"
    name = task.removeprefix("billing_hub.")
    return name, name


def task_kwargs(task: str, argument: str | None) -> dict[str, str]:
    if task in ("sync", SYNC, WEBHOOK_SYNC):
        return {"connector": argument or ""}
    if task in ("push", PUSH):
        return {"target": argument or ""}
    return {}


def describe_job(job: Job) -> str:
    """``sync of stripe`` for a queued job."""
    return describe_task(job.task_name, job.task_kwargs)


@dataclass(frozen=True, slots=True)
class JobEvent:
    """What a worker tells its display: ``started``, ``done`` or ``failed``."""

    kind: str
    job_id: int
    what: str
    attempt: int
    text: str = ""
    retry_in: float | None = None
    """For ``failed``: seconds until it is tried again (None: given up)."""


class PassingRetry(BaseRetryStrategy):
    """Retry what may pass by itself, with a doubling wait; give up on the rest."""

    def __init__(self, settings: ScheduleSettings) -> None:
        self.settings = settings

    def wait(self, exc: BaseException, attempts: int) -> float | None:
        """Seconds before the next try after ``attempts`` earlier ones, or None."""
        if not worth_retrying(exc) or attempts >= self.settings.retries:
            return None
        return float(min(self.settings.retry_wait_seconds * 2 ** attempts, MAX_RETRY_WAIT))

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        seconds = self.wait(exception, job.attempts)
        return None if seconds is None else RetryDecision(
            retry_at=datetime.now(UTC) + timedelta(seconds=seconds))


def build_app(runner: JobRunner, url: URL, *,
              report: Callable[[JobEvent], None] = lambda event: None) -> App:
    """A procrastinate app on the store at ``url`` whose tasks run through ``runner``,
    with the hub's ``[schedule]`` registered as periodic jobs."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=4))
    schedule = runner.hub.settings(ScheduleSettings)
    retry = PassingRetry(schedule)

    def perform(context: JobContext, task: str, argument: str | None) -> None:
        job = context.job
        assert job.id is not None
        what = describe_job(job)
        report(JobEvent("started", job.id, what, job.attempts + 1))
        try:
            text = (runner.webhooks(argument) if task == WEBHOOK_SYNC
                    else runner.run(task, argument))
        except Exception as exc:
            text, wait = error_text(exc), retry.wait(exc, job.attempts)
            with runner.engine.begin() as conn:
                audit.record(conn, "job.failed", subject=f"job:{job.id}",
                             actor="billing-hub worker",
                             details={"job": what, "attempt": job.attempts + 1, "error": text,
                                      "retry_in_seconds": wait})
            report(JobEvent("failed", job.id, what, job.attempts + 1, text, wait))
            raise
        report(JobEvent("done", job.id, what, job.attempts + 1, text))

    @app.task(name=SYNC, pass_context=True, retry=retry)
    def sync(context: JobContext, connector: str, timestamp: int | None = None) -> None:
        perform(context, "sync", connector)

    @app.task(name=RECONCILE, pass_context=True, retry=retry)
    def reconcile(context: JobContext, timestamp: int | None = None) -> None:
        perform(context, "reconcile", None)

    @app.task(name=PUSH, pass_context=True, retry=retry)
    def push_send(context: JobContext, target: str, timestamp: int | None = None) -> None:
        perform(context, "push", target)

    @app.task(name=COLLECT, pass_context=True, retry=retry)
    def collect(context: JobContext, timestamp: int | None = None) -> None:
        perform(context, "collect", None)

    @app.task(name=WEBHOOK_SYNC, pass_context=True, retry=retry)
    def webhook_sync(context: JobContext, connector: str) -> None:
        perform(context, WEBHOOK_SYNC, connector)

    @app.task(name=WEBHOOKS, pass_context=True, retry=retry)
    def webhooks(context: JobContext, timestamp: int | None = None) -> None:
        queued = []
        for name in runner.waiting_webhooks():
            with contextlib.suppress(AlreadyEnqueued):  # one waits already: it will do
                defer(app, WEBHOOK_SYNC, name)
                queued.append(name)
        assert context.job.id is not None
        report(JobEvent("done", context.job.id, "webhooks", context.job.attempts + 1,
                        f"queued the syncs of {', '.join(queued)}" if queued
                        else "no delivery waits for a sync"))

    @app.periodic(cron="* * * * *", periodic_id="stalled")
    @app.task(name=REQUEUE_STALLED, pass_context=True, queueing_lock="requeue_stalled")
    async def requeue_stalled(context: JobContext, timestamp: int | None = None) -> None:
        manager = context.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER):
            try:
                await manager.retry_job(job)
            except UniqueViolation:  # its queueing lock: the same job was queued since
                await manager.finish_job(job, status=Status.FAILED, delete_job=False)
                await asyncio.to_thread(_record_replaced, runner, job)

    tasks = {"sync": sync, "reconcile": reconcile, "push": push_send, "webhooks": webhooks,
             "collect": collect}
    for job in schedule.jobs:
        register(app, tasks[job.task], job)
    return app


def _record_replaced(runner: JobRunner, job: Job) -> None:
    """``jobs list``'s reason for a stalled job given up for the same one queued since."""
    with runner.engine.begin() as conn:
        audit.record(conn, "job.failed", subject=f"job:{job.id}", actor="billing-hub worker",
                     details={"job": describe_job(job), "attempt": job.attempts + 1,
                              "error": "its worker stopped during it; the same job, queued "
                                       "since, does its work", "retry_in_seconds": None})


async def work(app: App, name: str, stopping: asyncio.Event, **options: Any) -> None:
    """Run a worker of the open ``app`` until ``stopping`` is set, then let it finish
    the jobs in hand (``options``: procrastinate's worker options).

    procrastinate stops a worker's heartbeats as soon as it is asked to stop, while
    the job in hand runs on; ``requeue_stalled`` would then queue that job again
    after :data:`STALLED_AFTER` and another worker would run it beside this one
    (two syncs of one connector). The heartbeats go on here until the worker ends.
    """
    beat = float(options.setdefault("update_heartbeat_interval", HEARTBEAT))
    worker = Worker(app=app, name=name, install_signal_handlers=False, **options)
    running = asyncio.create_task(worker.run())  # type: ignore[no-untyped-call]
    asked = asyncio.create_task(stopping.wait())
    await asyncio.wait({running, asked}, return_when=asyncio.FIRST_COMPLETED)
    asked.cancel()
    running.cancel()  # procrastinate: stop fetching, let the jobs in hand finish
    while not (await asyncio.wait({running}, timeout=beat))[0]:
        if worker.worker_id is not None:
            await app.job_manager.update_heartbeat(worker.worker_id)
    with contextlib.suppress(asyncio.CancelledError):
        await running


def register(app: App, task: object, job: ScheduledJob) -> None:
    """Register ``job`` of the schedule as a periodic job of ``task``."""
    lock, queueing_lock = locks(job.task, job.argument)
    app.periodic(cron=job.schedule, periodic_id=f"{job.key}@{job.schedule}", lock=lock,
                 queueing_lock=queueing_lock,
                 task_kwargs=task_kwargs(job.task, job.argument))(task)  # type: ignore[arg-type]


def defer(app: App, task: str, argument: str | None = None) -> int:
    """Queue a job of ``task`` now; procrastinate's AlreadyEnqueued when one waits already."""
    lock, queueing_lock = locks(task, argument)
    return app.configure_task(TASK_OF.get(task, task), lock=lock, queueing_lock=queueing_lock,
                              task_kwargs=task_kwargs(task, argument)).defer()
