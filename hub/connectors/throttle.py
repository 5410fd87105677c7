"""A request budget shared by the threads of one connector (a token bucket).

Connectors of rate-limited APIs (Stripe, QuickBooks Online) keep under their
limits with it rather than spending requests on 429 answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttle:
    """Lets at most ``rate`` requests a second through, with bursts of up to ``burst``.

    ``clock`` and ``sleep`` are the monotonic clock and the sleep to use
    (a test passes its own to run without waiting).
    """

    def __init__(self, rate: float, burst: int | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.burst = float(burst if burst is not None else max(1, int(rate)))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until a request may go; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1 - 1e-9:  # float sums of exact refills fall short
                    self._tokens -= 1
                    return waited
                pause = (1 - self._tokens) / self.rate
            self._sleep(pause)
            waited += pause

    def slow_down(self, seconds: float) -> None:
        """The API said 429 and to wait ``seconds``: no request of ours goes before then."""
        with self._lock:
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate
