"""How a schedule looks in the terminal: its times in UTC and the plan of its jobs, for
``run-schedule`` and ``worker`` alike."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.table import Table


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def plan_table(rows: list[tuple[str, str, datetime]]) -> Table:
    table = Table(title="schedule (times in UTC)", title_justify="left")
    for col in ("job", "when", "next run"):
        table.add_column(col)
    for what, when, first in rows:
        table.add_row(what, when, utc(first))
    return table
