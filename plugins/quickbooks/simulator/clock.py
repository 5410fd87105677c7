"""The simulator's clock: real time by default, frozen or moved forward for tests.

Every ``MetaData`` time, the CDC look-back window and every token lifetime
read this one clock. Times go out as QuickBooks writes them: ISO 8601 to the
second with the company's UTC offset (``2026-11-20T10:15:00-08:00``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

COMPANY_TZ: tzinfo = ZoneInfo("America/Los_Angeles")
"""The sample company's time zone (QuickBooks answers in the company's zone)."""


class SimClock:
    """Aware datetimes in the company's zone; ``advance`` moves time, frozen or running."""

    def __init__(self, frozen_at: datetime | None = None, tz: tzinfo = COMPANY_TZ) -> None:
        if frozen_at is not None and frozen_at.tzinfo is None:
            raise ValueError("frozen_at must be an aware datetime")
        self._lock = threading.Lock()
        self.tz = tz
        self._frozen: float | None = frozen_at.timestamp() if frozen_at else None
        self._offset = 0.0

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None

    def timestamp(self) -> float:
        """Unix seconds of the simulated now."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(int(self.timestamp()), self.tz)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def freeze(self, at: datetime | None = None) -> None:
        current = self.timestamp() if at is None else at.timestamp()
        with self._lock:
            self._frozen = current

    def resume(self) -> None:
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
                self._frozen = None

    def stamp(self, moment: datetime | None = None) -> str:
        """``moment`` (default now) as QuickBooks writes a time."""
        return qbo_time(moment or self.now(), self.tz)

    def today(self) -> str:
        return self.now().date().isoformat()


def qbo_time(moment: datetime, tz: tzinfo = COMPANY_TZ) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def parse_time(text: str, tz: tzinfo = COMPANY_TZ) -> datetime:
    """An ISO 8601 date or datetime; without an offset it is the company's local time.

    Raises ``ValueError`` for anything else.
    """
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value

