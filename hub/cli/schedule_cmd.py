"""``billing-hub run-schedule``: the ``[schedule]`` in this process, one job at a time.

The embedded way, for any store (SQLite included). On PostgreSQL the same
schedule can run on workers instead (``billing-hub worker``, see
:mod:`hub.cli.worker_cmd`); both show the plan with :mod:`hub.cli.schedule_view`.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

import typer
from rich.text import Text

from hub.cli.console import err, out
from hub.cli.schedule_view import plan_table, utc
from hub.cli.session import CliState, open_hub
from hub.errors import ConfigError
from hub.schedule.embedded import EmbeddedScheduler, Event, describe_plan
from hub.schedule.settings import ScheduleSettings
from hub.schedule.work import JobRunner


def no_jobs(file: object) -> ConfigError:
    return ConfigError("no jobs in [schedule]", path="schedule.jobs",
                       hint=f"add [[schedule.jobs]] to {file} (`billing-hub init` writes an "
                            "example), or run `billing-hub sync` from cron")


def show(event: Event) -> None:
    what = event.job.describe()
    if event.kind == "waiting":
        out.print(Text(f"next: {what} at {utc(event.at)}", style="dim"))
    elif event.kind == "started":
        out.print(f"{utc(event.at)}  {what} started")
    elif event.kind == "done":
        out.print(Text.assemble(f"{utc(event.at)}  {what} ", ("done", "green"), f": {event.text}"))
    else:
        again = (f"tried again at {utc(event.retry_at)}" if event.retry_at
                 else "not tried again before its next time")
        err.print(Text.assemble(f"{utc(event.at)}  {what} ", ("failed", "bold red"),
                                f": {event.text} ({again})"))


@contextlib.contextmanager
def stop_gently(stop: Callable[[], None], doing: str) -> Iterator[None]:
    """SIGINT/SIGTERM call ``stop`` (finish the job in hand); a second Ctrl-C stops at once."""
    asked = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal asked
        if asked and signum == signal.SIGINT:
            raise KeyboardInterrupt
        asked = True
        err.print(Text.assemble(("stopping", "yellow"),
                                f" after {doing} (Ctrl-C again to stop at once)"))
        stop()

    before = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, old in before.items():
            signal.signal(s, old)


def run_schedule(
    ctx: typer.Context,
    now: bool = typer.Option(False, "--now",
                             help="Run every job once at the start, then keep the schedule."),
) -> None:
    """Run the \\[schedule] in this process, one job at a time, until Ctrl-C (any store)."""
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        settings = hub.settings(ScheduleSettings)
        if not settings.jobs:
            raise no_jobs(hub.config.config_file or state.config_path)
        runner = JobRunner(hub)
        scheduler = EmbeddedScheduler(settings, runner.run, report=show)
        out.print(plan_table(describe_plan(settings.jobs, scheduler.now())))
        out.print("Running in this process, one job at a time; Ctrl-C stops after the job "
                  "in hand.")
        with stop_gently(scheduler.stop, "the job in hand"):
            scheduler.run(at_once=now)
    out.print("billing-hub run-schedule stopped.")
