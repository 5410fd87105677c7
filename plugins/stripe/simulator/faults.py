"""Injected trouble: latency, 429s, 5xx, dropped connections, lost responses.

A :class:`Faults` is plain configuration, set on the simulator at any time
(``sim.faults = Faults(server_errors=0.1, seed=7)``); its seeded generator
makes a sequential run reproducible. :meth:`FaultInjector.script` queues
exact faults for the next matching requests, for tests that need one
particular failure at one particular moment.

The kinds:

- ``rate_limit``: 429 with ``code=rate_limit`` and a ``Retry-After`` header,
  no ``Stripe-Should-Retry`` (the SDK does not retry it: the caller must);
- ``lock_timeout``: 429 with ``code=lock_timeout`` and
  ``Stripe-Should-Retry: true`` (an object busy in another request);
- ``server_error``: 500 ``api_error`` before anything was done;
- ``drop``: the connection is closed before anything was done, no answer;
- ``lost_response``: the request is carried out (and its idempotency key
  remembers the answer), then the connection is closed without the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, cast

from hub.testing import FaultDice

FaultKind = Literal["rate_limit", "lock_timeout", "server_error", "drop", "lost_response"]
KINDS: tuple[FaultKind, ...] = ("rate_limit", "lock_timeout", "server_error", "drop",
                                "lost_response")


@dataclass(frozen=True)
class Faults:
    """Shares of requests (0..1) that meet each fault, and added latency (seconds)."""

    latency: float = 0.0
    latency_jitter: float = 0.0
    rate_limit: float = 0.0
    lock_timeout: float = 0.0
    server_error: float = 0.0
    drop: float = 0.0
    lost_response: float = 0.0
    retry_after: int = 1
    """Seconds in the ``Retry-After`` header of an injected rate-limit 429."""
    methods: frozenset[str] = field(default_factory=lambda: frozenset({"GET", "POST", "DELETE"}))
    path: str | None = None
    """Only requests whose path matches this regular expression meet faults."""
    seed: int = 0

    def __post_init__(self) -> None:
        shares = [self.rate_limit, self.lock_timeout, self.server_error, self.drop,
                  self.lost_response]
        if any(x < 0 for x in shares) or sum(shares) > 1:
            raise ValueError("fault shares must be >= 0 and add up to at most 1")
        if self.latency < 0 or self.latency_jitter < 0:
            raise ValueError("latency must be >= 0")

    def share(self, kind: FaultKind) -> float:
        value: float = getattr(self, kind)
        return value


class FaultInjector:
    """Decides, request by request, what goes wrong (thread-safe)."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._faults = faults or Faults()
        self._dice = FaultDice(KINDS, self._faults.seed)
        self._path = re.compile(self._faults.path) if self._faults.path else None

    @property
    def injected(self) -> dict[str, int]:
        return self._dice.injected

    @property
    def config(self) -> Faults:
        return self._faults

    @config.setter
    def config(self, faults: Faults) -> None:
        self._faults = faults
        self._path = re.compile(faults.path) if faults.path else None
        self._dice.reseed(faults.seed)

    def script(self, kind: FaultKind, times: int = 1, *, method: str | None = None,
               path: str | None = None) -> None:
        """The next ``times`` requests matching ``method``/``path`` (a regex) meet ``kind``."""
        self._dice.script(kind, times, method=method, path=path)

    def clear(self) -> None:
        self._dice.clear()

    def decide(self, method: str, path: str) -> tuple[float, FaultKind | None]:
        """(seconds of latency, fault or None) for one request."""
        faults = self._faults
        delay = faults.latency
        if faults.latency_jitter:
            delay += self._dice.with_rng(lambda rng: rng.uniform(0, faults.latency_jitter))
        eligible = method in faults.methods and not (self._path and not self._path.search(path))
        kind = self._dice.pick(method, path, {k: faults.share(k) for k in KINDS},
                               eligible=eligible)
        return delay, cast(FaultKind | None, kind)
