"""Injected trouble: latency, 429 ThrottleExceeded (some as XML), 500 SystemFault and
lost answers.

A :class:`Faults` is plain configuration set on the simulator at any time
(``sim.faults = Faults(throttle=0.1, seed=7)``); its seeded generator makes a
sequential run reproducible. :meth:`FaultInjector.script` queues exact
faults for the next matching requests.

- ``throttle``: HTTP 429, Fault code 3001 ``ThrottleExceeded``; a share
  ``throttle_xml`` of all 429s (injected or from the real limits) is written
  in XML, as QuickBooks sometimes does even when JSON was asked for;
- ``server_error``: HTTP 500 ``SystemFault`` (code 10000), nothing done;
- ``lost_response``: the call is carried out (a ``requestid`` remembers its
  answer), then the connection is closed without the answer.

Faults meet API calls only (``/v3/...``), never the OAuth endpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from hub.testing import FaultDice

FaultKind = Literal["throttle", "server_error", "lost_response"]
KINDS: tuple[FaultKind, ...] = ("throttle", "server_error", "lost_response")


@dataclass(frozen=True)
class Faults:
    """Shares of API calls (0..1) that meet each fault, and added latency (seconds)."""

    latency: float = 0.0
    throttle: float = 0.0
    server_error: float = 0.0
    lost_response: float = 0.0
    throttle_xml: float = 0.0
    """Share of 429 answers written as XML."""
    path: str | None = None
    """Only requests whose path matches this regular expression meet faults."""
    seed: int = 0

    def __post_init__(self) -> None:
        if min(self.throttle, self.server_error, self.lost_response, self.throttle_xml) < 0:
            raise ValueError("fault shares must be >= 0")
        if self.throttle + self.server_error + self.lost_response > 1 or self.throttle_xml > 1:
            raise ValueError("fault shares must add up to at most 1")
        if self.latency < 0:
            raise ValueError("latency must be >= 0")


class FaultInjector:
    """Decides, request by request, what goes wrong (thread-safe)."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._faults = faults or Faults()
        self._dice = FaultDice(KINDS, self._faults.seed)

    @property
    def injected(self) -> dict[str, int]:
        return self._dice.injected

    @property
    def config(self) -> Faults:
        return self._faults

    @config.setter
    def config(self, faults: Faults) -> None:
        self._faults = faults
        self._dice.reseed(faults.seed)

    def script(self, kind: FaultKind, times: int = 1, *, method: str | None = None,
               path: str | None = None) -> None:
        """The next ``times`` API calls matching ``method``/``path`` (a regex) meet ``kind``."""
        self._dice.script(kind, times, method=method, path=path)

    def decide(self, method: str, path: str) -> FaultKind | None:
        faults = self._faults
        eligible = not faults.path or re.search(faults.path, path) is not None
        kind = self._dice.pick(method, path, {"throttle": faults.throttle,
                                              "server_error": faults.server_error,
                                              "lost_response": faults.lost_response},
                               eligible=eligible)
        return cast(FaultKind | None, kind)

    def as_xml(self) -> bool:
        share = self._faults.throttle_xml
        return self._dice.with_rng(lambda rng: rng.random() < share)
