"""The ``[schedule]`` section: intervals and cron expressions, their next times, and
errors that name the TOML path; the commented block of the init template loads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub.cli import exits
from hub.config import load_config
from hub.errors import ConfigError
from hub.schedule import cron
from hub.schedule.settings import ScheduleSettings
from tests.support.hub import cli, opened, write_config

BOOKS = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "invoices.csv"
preset = "quickbooks-invoices"
"""


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("every", "expected"), [
    ("1m", "* * * * *"), ("5m", "*/5 * * * *"), ("15 min", "*/15 * * * *"),
    ("30m", "*/30 * * * *"), ("60m", "0 * * * *"), ("1h", "0 * * * *"),
    ("6h", "0 */6 * * *"), ("120m", "0 */2 * * *"), ("24h", "0 0 * * *"), ("1d", "0 0 * * *"),
])
def test_an_interval_becomes_clock_times(every: str, expected: str) -> None:
    assert cron.every_as_cron(every) == expected


@pytest.mark.parametrize(("every", "says"), [
    ("7m", "does not divide the hour"), ("90m", "does not divide the hour"),
    ("5h", "does not divide the day"), ("2d", "cron expression"), ("30s", "once a minute"),
    ("0m", "at least 1m"), ("quarter-hour", "a number and a unit"), ("15", "a number and a unit"),
])
def test_an_interval_clocks_cannot_keep_is_refused_saying_why(every: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        cron.every_as_cron(every)


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("*/15 * * * *", "2026-03-02T10:07:30", "2026-03-02T10:15:00"),
    ("*/15 * * * *", "2026-03-02T10:15:00", "2026-03-02T10:30:00"),  # strictly after
    ("*/15 * * * *", "2026-03-02T23:59:00", "2026-03-03T00:00:00"),
    ("0 6 * * *", "2026-03-02T06:00:01", "2026-03-03T06:00:00"),
    ("0 6 * * 1-5", "2026-03-06T07:00:00", "2026-03-09T06:00:00"),  # Friday -> Monday
    ("0 0 1 * *", "2026-02-14T12:00:00", "2026-03-01T00:00:00"),
    ("30 2 29 2 *", "2026-03-01T00:00:00", "2028-02-29T02:30:00"),  # the next leap day
    ("0 */6 * * *", "2026-12-31T19:00:00", "2027-01-01T00:00:00"),
])
def test_the_next_run_at_fixed_times(expression: str, after: str, expected: str) -> None:
    assert cron.next_after(expression, _at(after)) == _at(expected)


def test_next_runs_are_in_utc_whatever_the_clock_s_zone() -> None:
    paris = timezone(timedelta(hours=1))
    found = cron.next_after("0 6 * * *", datetime(2026, 3, 2, 6, 30, tzinfo=paris))
    assert found == _at("2026-03-02T06:00:00") and found.tzinfo == UTC  # 05:30 UTC


def test_a_schedule_loads(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "sqlite:///x.db", BOOKS + """
        [schedule]
        retries = 2
        [[schedule.jobs]]
        connector = "books"
        every = "15m"
        [[schedule.jobs]]
        task = "reconcile"
        cron = "0  6 * * 1-5"
        [[schedule.jobs]]
        task = "push"
        target = "books"
        every = "2h"
        [[schedule.jobs]]
        task = "webhooks"
        every = "5m"
    """))
    jobs = ScheduleSettings.of(config).jobs
    assert [(j.key, j.schedule, j.describe()) for j in jobs] == [
        ("sync:books", "*/15 * * * *", "sync of books"),
        ("reconcile", "0 6 * * 1-5", "reconcile"),
        ("push:books", "0 */2 * * *", "push to books"),
        ("webhooks", "*/5 * * * *", "webhooks"),
    ]
    schedule = ScheduleSettings.of(config)
    assert schedule.retries == 2 and schedule.retry_wait_seconds == 60
    bare = load_config(write_config(tmp_path, "sqlite:///x.db", BOOKS))
    assert ScheduleSettings.of(bare).jobs == []


@pytest.mark.parametrize(("jobs", "path", "says"), [
    ('connector = "bank"\nevery = "1h"', "schedule.jobs[0].connector",
     "no connector named 'bank' in the config (known: books)"),
    ('task = "push"\ntarget = "stripe"\nevery = "1h"', "schedule.jobs[0].target",
     "no connector named 'stripe'"),
    ('connector = "books"\ncron = "*/15 * * *"', "schedule.jobs[0].cron", "has 4"),
    ('connector = "books"\ncron = "61 * * * *"', "schedule.jobs[0].cron",
     "not a valid cron expression"),
    ('connector = "books"\ncron = "0 0 30 2 *"', "schedule.jobs[0].cron", "never fires"),
    ('connector = "books"\ncron = "0 0 31 4,6 *"', "schedule.jobs[0].cron", "never fires"),
    ('connector = "books"\nevery = "7m"', "schedule.jobs[0].every", "divide the hour"),
    ('connector = "books"\nevery = "1h"\ncron = "0 * * * *"', "schedule.jobs[0]", "not both"),
    ('connector = "books"', "schedule.jobs[0]", "either every"),
    ('every = "1h"', "schedule.jobs[0]", "a sync job needs connector"),
    ('task = "reconcile"\nconnector = "books"\nevery = "1h"', "schedule.jobs[0]",
     "a reconcile job takes no connector"),
    ('task = "collect"\nconnector = "books"\nevery = "1h"', "schedule.jobs[0]",
     "a collect job takes no connector"),
    ('task = "dun"\nevery = "1h"', "schedule.jobs[0].task", "Input should be"),
    ('connector = "books"\nevry = "1h"', "schedule.jobs[0].evry", "unknown setting"),
    ('connector = "books"\nevery = "1h"\n[[schedule.jobs]]\nconnector = "books"\n'
     'cron = "0 * * * *"', "schedule", "jobs[1] repeats jobs[0] (sync of books, cron 0 * * * *)"),
])
def test_a_bad_job_names_its_path(tmp_path: Path, jobs: str, path: str, says: str) -> None:
    file = write_config(tmp_path, "sqlite:///x.db", BOOKS + "[[schedule.jobs]]\n" + jobs + "\n")
    with pytest.raises(ConfigError) as caught:
        ScheduleSettings.of(load_config(file))
    assert caught.value.path == path
    assert says in str(caught.value)


def test_the_cli_reports_a_bad_schedule_as_a_config_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "sqlite:///x.db", BOOKS + '[[schedule.jobs]]\nconnector = "bnak"\n'
                 'every = "1h"\n')
    code, _, err = cli(capsys, "run-schedule")
    assert code == exits.USAGE
    assert "config error: schedule.jobs[0].connector: no connector named 'bnak'" in err


def test_the_init_template_s_schedule_loads_once_uncommented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init")[0] == exits.OK
    text = (tmp_path / "billing-hub.toml").read_text()
    assert ScheduleSettings.of(load_config(tmp_path / "billing-hub.toml")).jobs == []
    (tmp_path / "scheduled.toml").write_text(opened(text, "# [schedule]"))
    config = load_config(tmp_path / "scheduled.toml")
    assert [(j.describe(), j.schedule) for j in ScheduleSettings.of(config).jobs] == [
        ("sync of books", "*/15 * * * *"), ("reconcile", "0 6 * * 1-5")]
    schedule = ScheduleSettings.of(config)
    assert (schedule.retries, schedule.retry_wait_seconds) == (4, 60)
    # the push and webhooks jobs, with the Stripe connector they need
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_init_example_key")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_init_example_secret")
    more = opened(opened(opened(text, "# [schedule]"), "# [connectors.stripe]"),
                   '# [[schedule.jobs]]\n# task = "push"')
    (tmp_path / "all.toml").write_text(more)
    config = load_config(tmp_path / "all.toml")
    assert [j.describe() for j in ScheduleSettings.of(config).jobs] == [
        "sync of books", "reconcile", "push to stripe", "webhooks"]
    reminders = opened(text, '# [[schedule.jobs]]\n# task = "collect"')
    (tmp_path / "reminders.toml").write_text(reminders)
    assert [(j.describe(), j.schedule) for j in ScheduleSettings.of(
        load_config(tmp_path / "reminders.toml")).jobs] == [("collect", "0 * * * *")]
