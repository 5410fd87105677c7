"""Stripe's rate limiters, when switched on: requests per second and requests at once.

Off by default (tests and benchmarks choose): ``RateLimit.live()`` is 100
requests a second as in live mode, ``RateLimit.sandbox()`` 25 as in a sandbox
(docs: Rate limits). Over the limit the answer is 429 with
``code=rate_limit`` and a ``Retry-After`` of the seconds until a request
would pass.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    per_second: float | None = None
    burst: float | None = None
    """How many requests may come at once after a quiet spell (default: one second's worth)."""
    concurrent: int | None = None
    """At most this many requests in progress at once."""

    @classmethod
    def live(cls) -> RateLimit:
        return cls(per_second=100)

    @classmethod
    def sandbox(cls) -> RateLimit:
        return cls(per_second=25)


class RateLimiter:
    """A token bucket plus a count of requests in flight (thread-safe)."""

    def __init__(self, limit: RateLimit | None = None) -> None:
        self._lock = threading.Lock()
        self.limit = limit or RateLimit()
        self._tokens = self._capacity()
        self._stamp = time.monotonic()
        self._in_flight = 0
        self.refused = 0

    def _capacity(self) -> float:
        if self.limit.per_second is None:
            return math.inf
        return self.limit.burst or self.limit.per_second

    def set(self, limit: RateLimit | None) -> None:
        with self._lock:
            self.limit = limit or RateLimit()
            self._tokens = self._capacity()
            self._stamp = time.monotonic()

    def enter(self) -> float | None:
        """None when the request may proceed (call :meth:`leave` after), else the
        seconds to wait before retrying."""
        with self._lock:
            limit = self.limit
            if limit.concurrent is not None and self._in_flight >= limit.concurrent:
                self.refused += 1
                return 1.0
            if limit.per_second is not None:
                now = time.monotonic()
                self._tokens = min(self._capacity(),
                                   self._tokens + (now - self._stamp) * limit.per_second)
                self._stamp = now
                if self._tokens < 1:
                    self.refused += 1
                    return (1 - self._tokens) / limit.per_second
                self._tokens -= 1
            self._in_flight += 1
            return None

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
