"""Requests stopped at a point until a test lets them go, so it can kill the client there.

For a simulator of a remote system: its request handler calls
``holds.pause(path, "before")`` first and ``holds.pause(path, "after")`` once
its answer is made, and offers ``hold(path, when=...)`` to the tests (both the
QuickBooks and the Stripe simulators do).

``sim.hold("/tokens/bearer", when="after")`` stops the next token request
after the simulator has answered it (the old refresh token replaced, the new
one issued) and before the answer is sent: the test waits for
:meth:`Hold.reached`, kills the client process, then :meth:`Hold.release`\\ s it.
``when="before"`` stops it before the simulator looks at it, and
``release(drop=True)`` then drops it unseen, as if it had never been sent. A
hold stops one request; one never released lets it go after ``timeout``
seconds.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

WHEN = ("before", "after")


@dataclass
class Hold:
    """One request to stop at ``when`` on a path matching ``path``."""

    path: str
    when: str
    timeout: float = 120.0
    _reached: threading.Event = field(default_factory=threading.Event)
    _go: threading.Event = field(default_factory=threading.Event)
    _drop: bool = False

    def reached(self, timeout: float = 60.0) -> bool:
        """Wait until a request is stopped here; False if none came in ``timeout``."""
        return self._reached.wait(timeout)

    def release(self, *, drop: bool = False) -> None:
        """Let the stopped request (or the one to come) go on; with ``drop``, a request
        stopped ``before`` is dropped unseen (its state changes nothing)."""
        self._drop = drop
        self._go.set()

    def pause(self) -> bool:
        """Wait for the release; True if the request is to be dropped."""
        self._reached.set()
        self._go.wait(self.timeout)
        return self._drop


class Holds:
    """The holds set and not yet met; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Hold] = []

    def add(self, path: str, when: str, timeout: float = 120.0) -> Hold:
        if when not in WHEN:
            raise ValueError(f"when must be one of {WHEN}")
        hold = Hold(path, when, timeout)
        with self._lock:
            self._waiting.append(hold)
        return hold

    def pause(self, path: str, when: str) -> bool:
        """Stop here if a hold waits for this path at this point (once); True if the
        request is to be dropped."""
        with self._lock:
            hold = next((h for h in self._waiting
                         if h.when == when and re.search(h.path, path)), None)
            if hold is not None:
                self._waiting.remove(hold)
        return hold.pause() if hold is not None else False
