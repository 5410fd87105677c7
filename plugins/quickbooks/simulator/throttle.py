"""QuickBooks' per-company throttles, when switched on.

Off by default (tests choose); :meth:`Limits.intuit` gives the documented
ones: 500 requests a minute per company, 10 a second and at most 10 at once
per company and app, 40 batch requests a minute (docs: API call limits and
throttles). Over a limit the answer is 429, Fault code 3001. Windows are
sliding and measured in real (monotonic) time, not the simulated clock, so a
frozen clock does not throttle forever; :meth:`Throttle.reset` forgets them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    per_second: int | None = None
    per_minute: int | None = None
    concurrent: int | None = None
    batch_per_minute: int | None = None

    @classmethod
    def intuit(cls) -> Limits:
        return cls(per_second=10, per_minute=500, concurrent=10, batch_per_minute=40)


class Throttle:
    """Sliding windows and an in-flight count per realm (thread-safe)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self._lock = threading.Lock()
        self.limits = limits or Limits()
        self._seen: dict[str, deque[float]] = {}
        self._batches: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}
        self.refused = 0

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
            self._batches.clear()

    def enter(self, realm_id: str, batch: bool = False) -> str | None:
        """None when the call may go on (then call :meth:`leave`), else why it may not."""
        with self._lock:
            limits = self.limits
            now = time.monotonic()
            seen = self._seen.setdefault(realm_id, deque())
            while seen and seen[0] <= now - 60:
                seen.popleft()
            reason = None
            if limits.concurrent is not None and \
                    self._in_flight.get(realm_id, 0) >= limits.concurrent:
                reason = f"more than {limits.concurrent} requests at once"
            elif limits.per_minute is not None and len(seen) >= limits.per_minute:
                reason = f"more than {limits.per_minute} requests a minute"
            elif limits.per_second is not None and \
                    sum(1 for t in seen if t > now - 1) >= limits.per_second:
                reason = f"more than {limits.per_second} requests a second"
            elif batch and limits.batch_per_minute is not None:
                batches = self._batches.setdefault(realm_id, deque())
                while batches and batches[0] <= now - 60:
                    batches.popleft()
                if len(batches) >= limits.batch_per_minute:
                    reason = f"more than {limits.batch_per_minute} batch requests a minute"
                else:
                    batches.append(now)
            if reason is not None:
                self.refused += 1
                return reason
            seen.append(now)
            self._in_flight[realm_id] = self._in_flight.get(realm_id, 0) + 1
            return None

    def leave(self, realm_id: str) -> None:
        with self._lock:
            self._in_flight[realm_id] -= 1
