"""Which injected fault meets a request: the mechanics a simulator's fault knobs share.

A simulator describes its own faults (429s, 5xx, dropped connections ...)
and their shares; :class:`FaultDice` decides, request by request and thread
safely, which one (if any) meets it: first any fault a test scripted for the
next matching request, then a draw from a generator seeded for
reproducible runs. It counts what it injected.
"""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Scripted:
    kind: str
    method: str | None
    path: re.Pattern[str] | None

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path is None or self.path.search(path) is not None))


class FaultDice:
    """Scripted faults first, then a seeded draw over the shares of ``kinds``."""

    def __init__(self, kinds: Sequence[str], seed: int = 0) -> None:
        self.kinds = tuple(kinds)
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._script: deque[_Scripted] = deque()
        self.injected: dict[str, int] = dict.fromkeys(self.kinds, 0)

    def reseed(self, seed: int) -> None:
        """Start the random draws again from ``seed`` (new fault settings)."""
        with self._lock:
            self._rng = random.Random(seed)

    def script(self, kind: str, times: int = 1, *, method: str | None = None,
               path: str | None = None) -> None:
        """The next ``times`` requests matching ``method``/``path`` (a regex) meet ``kind``."""
        if kind not in self.kinds:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(self.kinds)}")
        compiled = re.compile(path) if path else None
        with self._lock:
            self._script.extend(_Scripted(kind, method, compiled) for _ in range(times))

    def clear(self) -> None:
        """Forget the scripted faults not met yet."""
        with self._lock:
            self._script.clear()

    def pick(self, method: str, path: str, shares: Mapping[str, float], *,
             eligible: bool = True) -> str | None:
        """The fault meeting this request: a scripted one, else (when ``eligible``) a draw."""
        with self._lock:
            for item in self._script:
                if item.matches(method, path):
                    self._script.remove(item)
                    self.injected[item.kind] += 1
                    return item.kind
            if not eligible:
                return None
            draw = self._rng.random()
            for kind in self.kinds:
                share = shares.get(kind, 0.0)
                if draw < share:
                    self.injected[kind] += 1
                    return kind
                draw -= share
            return None

    def with_rng(self, use: Callable[[random.Random], T]) -> T:
        """``use(generator)`` under the lock, for a simulator's own draws (jitter, format)."""
        with self._lock:
            return use(self._rng)
