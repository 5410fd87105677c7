"""``billing-hub worker`` and ``billing-hub jobs defer|list``: the schedule on
procrastinate workers, for a PostgreSQL store (see :mod:`hub.workers`).

procrastinate is imported only here, inside the commands: the other commands
and a SQLite install do without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from hub.cli.console import err, out, styled
from hub.cli.schedule_view import plan_table, utc
from hub.cli.session import CliState, open_hub
from hub.errors import ConfigError
from hub.runtime import Hub
from hub.schedule.embedded import describe_plan
from hub.schedule.settings import ScheduleSettings, describe
from hub.schedule.work import JobRunner
from hub.store.clock import utcnow

if TYPE_CHECKING:
    from procrastinate import App

    from hub.workers.app import JobEvent

jobs_app = typer.Typer(help="The job queue of the workers (PostgreSQL store): queue a job, "
                            "see what waits, runs and failed.", no_args_is_help=True)

TASKS = ("sync", "reconcile", "push", "webhooks", "collect")


def _queue_app(hub: Hub, doing: str) -> App:
    from hub.workers.database import require_postgresql

    require_postgresql(hub.engine, doing)
    try:
        from hub.workers.app import build_app
    except ImportError as exc:
        raise ConfigError(f"{doing} needs procrastinate, which is not installed ({exc.name})",
                          hint='pip install "billing-hub[postgres]"') from None
    return build_app(JobRunner(hub), hub.engine.url,
                     report=show_job)


def show_job(event: JobEvent) -> None:
    stamp = utc(utcnow())
    head = f"{stamp}  job {event.job_id}: {event.what}"
    tries = f" (try {event.attempt})" if event.attempt > 1 else ""
    if event.kind == "started":
        out.print(f"{head} started{tries}")
    elif event.kind == "done":
        out.print(Text.assemble(f"{head} ", ("done", "green"), f": {event.text}"))
    else:
        again = (f"tried again in {event.retry_in:.0f} s" if event.retry_in is not None
                 else "given up: `billing-hub jobs list` keeps it")
        err.print(Text.assemble(f"{head} ", ("failed", "bold red"), f"{tries}: {event.text} "
                                f"({again})"))


def worker(
    ctx: typer.Context,
    name: str | None = typer.Option(None, "--name", help="This worker's name in the logs "
                                    "(default: the host name and process id)."),
) -> None:
    """Run jobs from the queue and the \\[schedule] until SIGINT/SIGTERM (PostgreSQL store)."""
    from hub.workers.database import ensure_schema

    state: CliState = ctx.obj
    with open_hub(state) as hub:
        app = _queue_app(hub, "billing-hub worker")
        if ensure_schema(hub.engine):
            out.print("Created the job queue's tables in the store's database.")
        jobs = hub.settings(ScheduleSettings).jobs
        if jobs:
            out.print(plan_table(describe_plan(jobs, utcnow())))
        else:
            out.print("No [schedule] jobs: this worker runs the jobs queued with "
                      "`billing-hub jobs defer`.")
        label = name or f"{socket.gethostname()}-{os.getpid()}"
        out.print(f"worker {label}: waiting for jobs (Ctrl-C or SIGTERM stops it after the job "
                  "in hand).")
        asyncio.run(_work(app, label))
    out.print(f"worker {label} stopped.")


async def _work(app: App, label: str) -> None:
    from hub.workers.app import work

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    async with app.open_async():
        def stop() -> None:
            if stopping.is_set():
                err.print(styled("[yellow]still finishing the job in hand[/]: it stops at the "
                                 "end of it. (Killed instead, its job is queued again by "
                                 "another worker after a minute, and the sync resumes from "
                                 "its last page.)"))
                return
            err.print(styled("[yellow]stopping[/] after the job in hand (if any)..."))
            stopping.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await work(app, label, stopping, delete_jobs="successful")
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


@contextlib.contextmanager
def _opened(hub: Hub, doing: str) -> Iterator[App]:
    app = _queue_app(hub, doing)
    with app.open():
        yield app


@jobs_app.command()
def defer(
    ctx: typer.Context,
    task: str = typer.Argument(..., metavar="TASK",
                               help="sync, reconcile, push, webhooks or collect."),
    name: str | None = typer.Argument(None, metavar="[NAME]",
                                      help="The connector (sync) or target (push)."),
) -> None:
    """Queue a job for the workers now: `jobs defer sync stripe`, `jobs defer reconcile`."""
    if task not in TASKS:
        raise typer.BadParameter(f"one of {', '.join(TASKS)}", param_hint="TASK")
    needs = task in ("sync", "push")
    if needs and name is None:
        raise typer.BadParameter(f"a {task} job needs the connector's name", param_hint="NAME")
    if not needs and name is not None:
        raise typer.BadParameter(f"a {task} job takes no name", param_hint="NAME")
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        if name is not None and name not in hub.config.connectors:
            known = ", ".join(sorted(hub.config.connectors)) or "none configured"
            raise ConfigError(f"no connector named {name!r} in the config (known: {known})",
                              path=f"connectors.{name}")
        with _opened(hub, "billing-hub jobs defer") as app:
            from procrastinate.exceptions import AlreadyEnqueued

            from hub.workers.app import defer as defer_job
            from hub.workers.database import ensure_schema

            ensure_schema(hub.engine)
            what = describe(task, name)
            try:
                job_id = defer_job(app, task, name)
            except AlreadyEnqueued:
                out.print(f"A {what} already waits in the queue: nothing added. "
                          "`billing-hub jobs list` shows it.")
                return
    out.print(f"Queued job {job_id}: {what}. A running `billing-hub worker` takes it.")


STATUS_SHOWN = {"todo": ("queued", "cyan"), "doing": ("running", "yellow"),
                "succeeded": ("done", "green"), "failed": ("failed", "red"),
                "cancelled": ("cancelled", "dim"), "aborted": ("aborted", "red")}


@jobs_app.command("list")
def list_(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help="Only queued, running, failed or done jobs."),
    limit: int = typer.Option(30, "--limit", "-n", min=1),
) -> None:
    """The latest jobs, newest first: queued, running, failed (with the error), done."""
    from hub.workers.database import has_schema
    from hub.workers.listing import latest_jobs

    wanted = {shown: raw for raw, (shown, _) in STATUS_SHOWN.items()}
    if status is not None and status not in wanted:
        raise typer.BadParameter("one of queued, running, failed, done", param_hint="--status")
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        _queue_app(hub, "billing-hub jobs list")  # PostgreSQL, procrastinate installed
        if not has_schema(hub.engine):
            out.print("No job queue in this store yet: `billing-hub worker` creates it.")
            return
        rows = latest_jobs(hub.engine, limit=limit,
                           status=wanted[status] if status else None)
    if not rows:
        out.print("No jobs." if status is None else f"No {status} jobs.")
        return
    table = Table(title="jobs, newest first (times in UTC)", title_justify="left")
    for col in ("id", "job", "status", "tries", "when"):
        table.add_column(col, justify="right" if col in ("id", "tries") else "left")
    table.add_column("error", overflow="fold", ratio=1)
    for row in rows:
        shown, style = STATUS_SHOWN.get(row.status, (row.status, ""))
        if row.status == "todo" and row.attempts:
            shown = "waiting to retry"
        table.add_row(str(row.id), row.what, Text(shown, style=style), str(row.attempts),
                      utc(row.when) if row.when else "-", Text(row.error or ""))
    out.print(table)
