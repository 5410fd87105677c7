"""``billing-hub run-schedule``: the schedule in-process, one job at a time, on an
injected clock (a day of schedule in no time), and for real in a subprocess."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.config import load_config
from hub.errors import ConfigError, TransientError
from hub.runtime import Hub
from hub.schedule.embedded import EmbeddedScheduler, Event
from hub.schedule.settings import ScheduleSettings
from hub.store import open_store
from hub.store.schema import runs
from tests.support.hub import cli, cli_process, wait_for, write_config
from tests.support.invoices import BOOKS, GOOD

pytestmark = pytest.mark.usefixtures("wide_console")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class FakeClock:
    """Time that moves only when the scheduler waits or a job takes ``took`` minutes;
    the scheduler is stopped once the clock passes ``until``."""

    def __init__(self, start: str, until: str) -> None:
        self.t = _at(start)
        self.until = _at(until)
        self.scheduler: EmbeddedScheduler | None = None

    def now(self) -> datetime:
        return self.t

    def wait(self, seconds: float) -> None:
        assert seconds > 0
        self.t += timedelta(seconds=seconds)
        if self.t > self.until and self.scheduler is not None:
            self.scheduler.stop()


def _schedule(jobs: list[dict[str, str]], **settings: object) -> ScheduleSettings:
    return ScheduleSettings.model_validate({"jobs": jobs, **settings})


def _run(settings: ScheduleSettings, clock: FakeClock, took: dict[str, int] | None = None,
         fails: dict[str, list[Exception]] | None = None, at_once: bool = False,
         ) -> tuple[list[tuple[str, str, str]], list[Event]]:
    """Run until the clock's end: (job, start, end) of each run, HH:MM, and the events."""
    ran: list[tuple[str, str, str]] = []
    events: list[Event] = []

    def perform(task: str, argument: str | None) -> str:
        key = task if argument is None else f"{task}:{argument}"
        started = clock.now()
        clock.t += timedelta(minutes=(took or {}).get(key, 0))
        ran.append((key, started.strftime("%H:%M"), clock.now().strftime("%H:%M")))
        errors = (fails or {}).get(key)
        if errors:
            raise errors.pop(0)
        return "fine"

    scheduler = EmbeddedScheduler(settings, perform, now=clock.now, wait=clock.wait,
                                  report=events.append)
    clock.scheduler = scheduler
    assert scheduler.run(at_once=at_once) == len(ran)
    return ran, events


def test_jobs_run_at_their_times_one_at_a_time_in_config_order() -> None:
    settings = _schedule([{"connector": "books", "every": "15m"},
                          {"task": "reconcile", "cron": "0 6 * * *"},
                          {"task": "push", "target": "stripe", "cron": "30 6 * * *"}])
    ran, events = _run(settings, FakeClock("2026-03-02T05:50:00", "2026-03-02T06:40:00"),
                       took={"sync:books": 2})
    assert ran == [("sync:books", "06:00", "06:02"),
                   ("reconcile", "06:02", "06:02"),   # due at 06:00 too: right after
                   ("sync:books", "06:15", "06:17"),
                   ("sync:books", "06:30", "06:32"),  # first of the jobs due at 06:30
                   ("push:stripe", "06:32", "06:32")]
    assert events[0] == Event("waiting", settings.jobs[0], _at("2026-03-02T06:00:00"))
    assert [(e.kind, e.job.key) for e in events[1:4]] == [
        ("started", "sync:books"), ("done", "sync:books"), ("started", "reconcile")]
    assert events[2].text == "fine" and events[2].at == _at("2026-03-02T06:02:00")


def test_ticks_missed_while_a_job_runs_make_one_run_not_one_each() -> None:
    settings = _schedule([{"connector": "books", "every": "15m"},
                          {"task": "reconcile", "cron": "0 6 * * *"}])
    ran, _ = _run(settings, FakeClock("2026-03-02T05:59:00", "2026-03-02T07:10:00"),
                  took={"reconcile": 50, "sync:books": 1})
    assert ran == [("sync:books", "06:00", "06:01"),
                   ("reconcile", "06:01", "06:51"),
                   ("sync:books", "06:51", "06:52"),  # 06:15, 06:30 and 06:45: once
                   ("sync:books", "07:00", "07:01")]


def test_a_passing_failure_is_retried_with_a_doubling_wait_a_config_error_is_not() -> None:
    settings = _schedule([{"connector": "stripe", "every": "1h"},
                          {"connector": "books", "every": "1h"}],
                         retries=2, retry_wait_seconds=60)
    down = [TransientError("503 from the service", connector="stripe") for _ in range(4)]
    wrong = [ConfigError("unknown setting", path="connectors.books.x")]
    ran, events = _run(settings, FakeClock("2026-03-02T05:59:00", "2026-03-02T07:30:00"),
                       fails={"sync:stripe": down, "sync:books": wrong})
    assert ran == [("sync:stripe", "06:00", "06:00"),
                   ("sync:books", "06:00", "06:00"),
                   ("sync:stripe", "06:01", "06:01"),  # 60 s after the first failure
                   ("sync:stripe", "06:03", "06:03"),  # then 120 s: the 2 retries are used
                   ("sync:stripe", "07:00", "07:00"),  # its next time; fails: retried again
                   ("sync:books", "07:00", "07:00"),   # fixed meanwhile
                   ("sync:stripe", "07:01", "07:01")]  # and the service is back
    failed = [e for e in events if e.kind == "failed"]
    assert [(e.job.key, e.retry_at) for e in failed] == [
        ("sync:stripe", _at("2026-03-02T06:01:00")),
        ("sync:books", None),
        ("sync:stripe", _at("2026-03-02T06:03:00")),
        ("sync:stripe", None),
        ("sync:stripe", _at("2026-03-02T07:01:00"))]
    assert failed[0].text == "[stripe] 503 from the service"
    assert failed[1].text == "connectors.books.x: unknown setting"


def test_now_runs_each_job_once_first_and_retries_a_passing_failure_as_it_says() -> None:
    settings = _schedule([{"connector": "stripe", "every": "1h"},
                          {"task": "reconcile", "cron": "0 6 * * *"}],
                         retries=1, retry_wait_seconds=60)
    down = [TransientError("503 from the service", connector="stripe")]
    ran, events = _run(settings, FakeClock("2026-03-02T05:30:00", "2026-03-02T06:10:00"),
                       took={"reconcile": 5}, fails={"sync:stripe": down}, at_once=True)
    assert ran == [("sync:stripe", "05:30", "05:30"),  # --now: each once, in config order
                   ("reconcile", "05:30", "05:35"),
                   ("sync:stripe", "05:35", "05:35"),  # the retry its failure announced
                   ("sync:stripe", "06:00", "06:00"),  # then the schedule
                   ("reconcile", "06:00", "06:05")]
    (failed,) = [e for e in events if e.kind == "failed"]
    assert failed.retry_at == _at("2026-03-02T05:31:00")


def test_stop_during_a_job_lets_it_finish_and_runs_nothing_more() -> None:
    settings = _schedule([{"connector": "books", "every": "1m"},
                          {"task": "reconcile", "every": "1m"}])
    clock = FakeClock("2026-03-02T05:59:30", "2026-03-02T07:00:00")
    finished: list[str] = []

    def perform(task: str, argument: str | None) -> str:
        scheduler.stop()  # Ctrl-C while the job runs
        finished.append(task)
        return "done anyway"

    scheduler = EmbeddedScheduler(settings, perform, now=clock.now, wait=clock.wait)
    assert scheduler.run() == 1
    assert finished == ["sync"]
    # stopped while idle: returns without running anything
    idle = EmbeddedScheduler(settings, perform, now=clock.now,
                             wait=lambda s: idle.stop())
    assert idle.run() == 0


def test_run_schedule_needs_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "sqlite:///x.db", BOOKS)
    code, _, err = cli(capsys, "run-schedule")
    assert code == exits.USAGE
    assert "schedule.jobs: no jobs in [schedule]" in err and "[[schedule.jobs]]" in err


@pytest.mark.slow
def test_run_schedule_syncs_records_the_run_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / "invoices.csv").write_text(GOOD, encoding="utf-8")
    config = write_config(tmp_path, "sqlite:///store.db", BOOKS + """
        [[schedule.jobs]]
        connector = "books"
        cron = "0 0 1 1 *"
    """)
    with cli_process("--config", str(config), "run-schedule", "--now",
                     cwd=tmp_path) as (proc, lines):
        wait_for(lambda: any("next: sync of books at" in line for line in lines),
                 "run-schedule to sync once and wait", timeout=60)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == exits.OK
    text = "".join(lines)
    assert "sync of books done: run 1: 2 records (2 new, 0 updated, 0 unchanged)" in text
    assert f"next: sync of books at {datetime.now(UTC).year + 1}-01-01 00:00:00 UTC" in text
    assert "billing-hub run-schedule stopped." in text
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(runs.c.kind, runs.c.connector, runs.c.status)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("sync", "books", "succeeded")]


def test_the_job_runner_runs_the_hub_s_own_commands(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.plugins import load_plugins
    from hub.schedule.work import JobRunner, worth_retrying
    from hub.store.runs import AlreadyRunning

    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoices.csv").write_text(GOOD, encoding="utf-8")
    config = load_config(write_config(tmp_path, store_url, BOOKS))
    engine = open_store(config.store_url())
    try:
        runner = JobRunner(Hub(config, load_plugins(), engine))
        assert runner.run("sync", "books") == (
            "run 1: 2 records (2 new, 0 updated, 0 unchanged)")
        assert runner.run("reconcile").startswith("run 2: ")
        assert runner.run("webhooks") == "no delivery waits for a sync"
        with pytest.raises(ConfigError, match="connector 'books' does not push anything"):
            runner.run("push", "books")
        with pytest.raises(ConfigError, match="no connector named 'bank'") as caught:
            runner.run("sync", "bank")
        assert not worth_retrying(caught.value)
        with engine.connect() as conn:
            kinds = conn.execute(sa.select(runs.c.kind, runs.c.status).order_by(runs.c.id)).all()
        assert [tuple(k) for k in kinds] == [("sync", "succeeded"), ("reconcile", "succeeded")]
    finally:
        engine.dispose()
    assert worth_retrying(TransientError("429")) and worth_retrying(AlreadyRunning("busy"))
    assert worth_retrying(ConnectionRefusedError()) and not worth_retrying(KeyError("bug"))


@pytest.mark.usefixtures("wide_console")
def test_workers_on_a_sqlite_store_say_what_to_do_instead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "sqlite:///x.db", BOOKS)
    for args in (["worker"], ["jobs", "list"], ["jobs", "defer", "sync", "books"]):
        code, _, err = cli(capsys, *args)
        assert code == exits.USAGE, args
        assert "needs a PostgreSQL store; this one is sqlite" in err
        assert "billing-hub run-schedule" in err and "postgresql+psycopg://" in err
