"""Cron expressions: checking one, and the next time it fires.

The hub's schedules are five-field cron expressions (minute, hour, day of
month, month, day of week), evaluated in UTC. Both ways of running them use
croniter for it: the embedded scheduler here, and procrastinate's periodic
deferrer on PostgreSQL, so a schedule fires at the same times on both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from croniter import CroniterBadDateError, croniter

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d)\s*$")


def check(expression: str) -> str:
    """``expression`` normalised (single spaces), or ValueError saying what is wrong."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f"this one has {len(fields)}")
    text = " ".join(fields)
    if not croniter.is_valid(text):
        raise ValueError("not a valid cron expression (e.g. \"*/15 * * * *\", \"0 6 * * 1-5\")")
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:
        raise ValueError("this expression never fires: no month has that day "
                         "(e.g. \"30 2\" is February 30)") from None
    return text


def every_as_cron(every: str) -> str:
    """The cron expression for ``every = "15m"`` (``*/15 * * * *``), or ValueError.

    An interval becomes clock times (every 15 minutes: at :00, :15, :30, :45),
    so it must divide the hour or the day evenly; workers on several machines
    then agree on when a job is due.
    """
    match = _EVERY.match(every)
    if match is None:
        raise ValueError('write a number and a unit: "5m", "2h" or "1d"')
    n, unit = int(match[1]), match[2]
    if n <= 0:
        raise ValueError("the interval must be at least 1m")
    if unit == "s":
        raise ValueError("jobs run at most once a minute: use minutes (\"1m\")")
    if unit in ("m", "min"):
        if n % 60 == 0:
            n, unit = n // 60, "h"
        elif 60 % n == 0:
            return "* * * * *" if n == 1 else f"*/{n} * * * *"
        else:
            raise ValueError(f"{n} minutes does not divide the hour evenly: use a divisor of 60 "
                             "(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) or a cron expression")
    if unit == "h":
        if n % 24 == 0:
            n, unit = n // 24, "d"
        elif 24 % n == 0:
            return "0 * * * *" if n == 1 else f"0 */{n} * * *"
        else:
            raise ValueError(f"{n} hours does not divide the day evenly: use a divisor of 24 "
                             "(1, 2, 3, 4, 6, 8, 12) or a cron expression")
    if n != 1:
        raise ValueError("for more than a day use a cron expression (\"0 6 */2 * *\")")
    return "0 0 * * *"


def next_after(expression: str, moment: datetime) -> datetime:
    """The first time after ``moment`` (strictly) at which ``expression`` fires, in UTC."""
    start = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    found: datetime = croniter(expression, start).get_next(datetime)
    return found.astimezone(UTC)
