"""The simulator's clock: real time by default, frozen or shifted for tests and seeding.

Every ``created`` time, event retention window and idempotency-key age is read
from one clock, so a test can create history in the past (``freeze``), move a
month forward (``advance``) and watch events fall out of retention.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Unix seconds, as Stripe reports them."""

    def __init__(self, frozen_at: int | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen: int | None = frozen_at
        self._offset = 0

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None

    def now(self) -> int:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return int(time.time()) + self._offset

    def freeze(self, at: int | None = None) -> None:
        """Stop the clock at ``at`` (default: the current simulated time)."""
        current = self.now()
        with self._lock:
            self._frozen = current if at is None else int(at)

    def advance(self, seconds: int) -> None:
        """Move the simulated time forward (frozen or running)."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += int(seconds)
            else:
                self._offset += int(seconds)

    def resume(self) -> None:
        """Run again from the frozen time, which keeps the offset it had from real time."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - int(time.time())
                self._frozen = None
