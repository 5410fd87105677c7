"""Time zones for tests that send reminders at the wall clock's time."""

from __future__ import annotations

from datetime import UTC, datetime


def zone_at_midday(now: datetime | None = None) -> str:
    """An ``Etc/GMT`` zone in which it is now about 14:00: reminders sent by a test at the
    real time fall well inside the contact hours (08:00-21:00) there, whenever it runs."""
    hour = (now or datetime.now(UTC)).astimezone(UTC).hour
    east = (14 - hour) % 24
    if east > 14:
        east -= 24
    if east == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if east > 0 else '+'}{abs(east)}"  # Etc/GMT-3 is UTC+3
