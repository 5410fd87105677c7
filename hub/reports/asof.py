"""The knowledge date of a report: what the hub knew at the end of a day.

``--since/--until`` choose the period a report covers; ``--as-of DAY`` chooses
what the hub knew: every record and finding as it stood at the end of ``DAY`` in
the company's time zone (``[reconcile] timezone``, UTC when not set), read
from their history (:mod:`hub.store.history`). What the hub learned later
does not change the answer, so an as-of report re-run later gives the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.errors import HubError

AS_OF_HELP = ("Knowledge date: report what the hub knew at the end of this day (company "
              "time zone, \\[reconcile] timezone, else UTC), the same bytes on any later run. "
              "--since/--until choose the period; --as-of what was known of it.")


def zone(name: str | None) -> ZoneInfo | None:
    """The time zone named ``name`` (IANA, ``Europe/Berlin``), or None for UTC."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HubError(f"unknown time zone {name!r}",
                       hint="give an IANA name such as Europe/Berlin or America/New_York") from None


def end_of_day(day: date, tz: str | None = None) -> datetime:
    """The last moment (UTC) of ``day`` in the time zone ``tz`` (UTC when None)."""
    where = zone(tz) or UTC
    midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=where)
    return (midnight - timedelta(microseconds=1)).astimezone(UTC)
