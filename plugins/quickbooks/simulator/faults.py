"""Injected trouble: latency, 429 ThrottleExceeded (some as XML) and 500 SystemFault.

A :class:`Faults` is plain configuration set on the simulator at any time
(``sim.faults = Faults(throttle=0.1, seed=7)``); its seeded generator makes a
sequential run reproducible. :meth:`FaultInjector.script` queues exact
faults for the next matching requests.

- ``throttle``: HTTP 429, Fault code 3001 ``ThrottleExceeded``; a share
  ``throttle_xml`` of all 429s (injected or from the real limits) is written
  in XML, as QuickBooks sometimes does even when JSON was asked for;
- ``server_error``: HTTP 500 ``SystemFault`` (code 10000), nothing done.

Faults meet API calls only (``/v3/...``), never the OAuth endpoints.
"""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["throttle", "server_error"]
KINDS: tuple[FaultKind, ...] = ("throttle", "server_error")


@dataclass(frozen=True)
class Faults:
    """Shares of API calls (0..1) that meet each fault, and added latency (seconds)."""

    latency: float = 0.0
    throttle: float = 0.0
    server_error: float = 0.0
    throttle_xml: float = 0.0
    """Share of 429 answers written as XML."""
    path: str | None = None
    """Only requests whose path matches this regular expression meet faults."""
    seed: int = 0

    def __post_init__(self) -> None:
        if min(self.throttle, self.server_error, self.throttle_xml) < 0:
            raise ValueError("fault shares must be >= 0")
        if self.throttle + self.server_error > 1 or self.throttle_xml > 1:
            raise ValueError("fault shares must add up to at most 1")
        if self.latency < 0:
            raise ValueError("latency must be >= 0")


@dataclass
class _Scripted:
    kind: FaultKind
    method: str | None
    path: re.Pattern[str] | None


class FaultInjector:
    """Decides, request by request, what goes wrong (thread-safe)."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._rng = random.Random(self._faults.seed)
        self._script: deque[_Scripted] = deque()
        self.injected: dict[str, int] = dict.fromkeys(KINDS, 0)

    @property
    def config(self) -> Faults:
        return self._faults

    @config.setter
    def config(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)

    def script(self, kind: FaultKind, times: int = 1, *, method: str | None = None,
               path: str | None = None) -> None:
        """The next ``times`` API calls matching ``method``/``path`` (a regex) meet ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(KINDS)}")
        compiled = re.compile(path) if path else None
        with self._lock:
            self._script.extend(_Scripted(kind, method, compiled) for _ in range(times))

    def decide(self, method: str, path: str) -> FaultKind | None:
        with self._lock:
            for item in self._script:
                if ((item.method is None or item.method == method)
                        and (item.path is None or item.path.search(path))):
                    self._script.remove(item)
                    self.injected[item.kind] += 1
                    return item.kind
            faults = self._faults
            if faults.path and not re.search(faults.path, path):
                return None
            draw = self._rng.random()
            if draw < faults.throttle:
                self.injected["throttle"] += 1
                return "throttle"
            if draw < faults.throttle + faults.server_error:
                self.injected["server_error"] += 1
                return "server_error"
            return None

    def as_xml(self) -> bool:
        with self._lock:
            return self._rng.random() < self._faults.throttle_xml
