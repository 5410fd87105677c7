"""The server's background worker: runs the syncs webhook deliveries ask for, debounced.

The endpoint only records a delivery and kicks the worker. The worker waits
until deliveries stop coming for ``debounce_seconds`` (at most
``max_wait_seconds`` after the first kick), then processes everything due in
one go, so a burst of deliveries becomes one sync per connector. Every
``poll_seconds`` it also looks by itself, for deliveries due again after a
failed sync and for ones another process recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Debouncer:
    """When a burst of kicks is over: ``quiet`` seconds after the last, or ``max_wait`` after
    the first, whichever comes sooner. ``clock`` is a monotonic clock in seconds."""

    def __init__(self, quiet: float, max_wait: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self.max_wait = max(max_wait, quiet)
        self.clock = clock
        self._first: float | None = None
        self._last: float | None = None

    def kick(self) -> None:
        """Something arrived."""
        now = self.clock()
        if self._first is None:
            self._first = now
        self._last = now

    @property
    def pending(self) -> bool:
        """Kicks arrived since the last :meth:`take`."""
        return self._first is not None

    def due_in(self) -> float | None:
        """Seconds until the burst counts as over (0 or less: now); ``None``: no kick."""
        if self._first is None or self._last is None:
            return None
        now = self.clock()
        return min(self._last + self.quiet, self._first + self.max_wait) - now

    def take(self) -> None:
        """The burst is being handled: forget its kicks."""
        self._first = self._last = None


class WebhookWorker:
    """Calls ``process`` in a thread of its own, after each burst of kicks and every ``poll``.

    ``process`` must not raise for an expected failure (it records failed
    syncs itself); anything it raises is logged and the worker goes on.
    """

    def __init__(self, process: Callable[[], object], *, debounce: float, max_wait: float,
                 poll: float, name: str = "billing-hub-webhooks") -> None:
        self._process = process
        self._debouncer = Debouncer(debounce, max_wait)
        self._poll = poll
        self._name = name
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.rounds = 0
        """How many times ``process`` has run (for status and tests)."""

    def start(self) -> None:
        """Start the thread; it looks once at once, for deliveries left from before."""
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def kick(self) -> None:
        """A delivery was recorded (and committed): process it after the burst."""
        with self._wake:
            self._debouncer.kick()
            self._wake.notify_all()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the round in progress (a sync is never cut short) and join the thread."""
        thread = self._thread
        if thread is None:
            return
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        thread.join(timeout)
        if thread.is_alive():
            log.warning("the webhook worker is still syncing; it stops when that sync ends")
        self._thread = None

    def _run(self) -> None:
        next_poll = 0.0  # look at once: deliveries may be waiting from a previous run
        while True:
            with self._wake:
                while not self._stopping:
                    until_burst = self._debouncer.due_in()
                    until_poll = next_poll - time.monotonic()
                    wait = until_poll if until_burst is None else min(until_burst, until_poll)
                    if wait <= 0:
                        break
                    self._wake.wait(wait)
                if self._stopping:
                    return
                self._debouncer.take()
            try:
                self._process()
            except Exception:
                log.exception("processing webhook deliveries failed; they are tried again")
            self.rounds += 1
            next_poll = time.monotonic() + self._poll
