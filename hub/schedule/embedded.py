"""The schedule run in the hub's own process: ``billing-hub run-schedule``.

One job at a time, in the order they fall due. Each job's first run is at its
first scheduled time after the start (as cron does; nothing runs at once,
unless ``--now`` asks for one run of each first).
A job whose time came while another ran runs once when that one is done, not
once per missed tick, and its next time is counted from when it finished. A
job that failed for a passing reason (:func:`~hub.schedule.work.worth_retrying`)
is tried again after ``retry_wait_seconds``, doubling, ``retries`` times at
most, or at its next scheduled time if that comes first.

The clock and the wait are injected, so tests run a day of schedule in no
time; :meth:`EmbeddedScheduler.stop` (the CLI calls it on Ctrl-C) ends the
loop after the job in hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.schedule import cron
from hub.schedule.settings import ScheduledJob, ScheduleSettings
from hub.schedule.work import error_text, worth_retrying
from hub.store.clock import utcnow

MAX_RETRY_WAIT = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Event:
    """What the scheduler tells its display: ``waiting``, ``started``, ``done``, ``failed``."""

    kind: str
    job: ScheduledJob
    at: datetime
    text: str = ""
    retry_at: datetime | None = None
    """For ``failed``: when it is tried again (None: at its next scheduled time)."""


@dataclass(slots=True)
class _Slot:
    job: ScheduledJob
    due: datetime
    failures: int = 0


class EmbeddedScheduler:
    """Runs ``settings.jobs`` with ``perform`` (a :class:`~hub.schedule.work.JobRunner`'s
    ``run``) until :meth:`stop` is called."""

    def __init__(
        self,
        settings: ScheduleSettings,
        perform: Callable[[str, str | None], str],
        *,
        now: Callable[[], datetime] = utcnow,
        wait: Callable[[float], object] | None = None,
        report: Callable[[Event], None] = lambda event: None,
    ) -> None:
        self.settings = settings
        self.perform = perform
        self.now = now
        self._stopping = threading.Event()
        self.wait = wait or self._stopping.wait
        self.report = report

    def stop(self) -> None:
        """End the loop: at once when idle, after the job in hand otherwise."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self, *, at_once: bool = False) -> int:
        """Run jobs as they fall due until stopped; returns how many ran.

        ``at_once`` (``run-schedule --now``): every job is due at the start, so
        each runs once first, in config order, retried like any other run."""
        start = self.now()
        slots = [_Slot(job, start if at_once else cron.next_after(job.schedule, start))
                 for job in self.settings.jobs]
        if not slots:
            return 0
        ran = 0
        announced: tuple[int, datetime] | None = None
        while not self.stopping:
            slot = min(slots, key=lambda s: s.due)  # the first of equals: config order
            now = self.now()
            if slot.due > now:
                if announced != (id(slot), slot.due):
                    self.report(Event("waiting", slot.job, slot.due))
                    announced = (id(slot), slot.due)
                self.wait((slot.due - now).total_seconds())
                continue
            self._run(slot)
            ran += 1
        return ran

    def _run(self, slot: _Slot) -> None:
        job = slot.job
        self.report(Event("started", job, self.now()))
        try:
            text = self.perform(job.task, job.argument)
        except Exception as exc:
            finished = self.now()
            regular = cron.next_after(job.schedule, finished)
            retry_at = None
            if worth_retrying(exc) and slot.failures < self.settings.retries:
                wait = timedelta(seconds=self.settings.retry_wait_seconds * 2 ** slot.failures)
                retry_at = finished + min(wait, MAX_RETRY_WAIT)
                slot.failures += 1
            else:
                slot.failures = 0
            if retry_at is not None and retry_at >= regular:
                retry_at = None
            slot.due = retry_at or regular
            self.report(Event("failed", job, finished, error_text(exc), retry_at))
            return
        slot.failures = 0
        finished = self.now()
        slot.due = cron.next_after(job.schedule, finished)
        self.report(Event("done", job, finished, text))


def describe_plan(jobs: Sequence[ScheduledJob], now: datetime) -> list[tuple[str, str, datetime]]:
    """(what, when, next run) of each job, for the command's opening lines."""
    return [(job.describe(), job.when, cron.next_after(job.schedule, now)) for job in jobs]
