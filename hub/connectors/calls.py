"""Calling a rate-limited API: request budgets, the retries the service asks for, counts.

A connector gives :class:`ApiCaller` a *classifier*: a function that reads a
failed request the way the service means it and answers

- ``Retry(reason)``: worth another try, after the :class:`Backoff`;
- ``Retry(reason, after=N)``: the service said to wait ``N`` seconds
  (``Retry-After``, a throttle's fixed pause): the first budget is held back
  for that long, so no request of the connector, from any thread, goes sooner;
- ``None``: give up; the failure goes back to the caller as it was raised.

Each try waits its turn in every budget (:class:`~hub.connectors.throttle.Throttle`,
in order: a per-second one, then a per-minute one ...), then is counted under
its label. When the tries run out on a failure still worth retrying, the
caller raises what the connector's ``gave_up`` makes of it: the connector's
own :class:`~hub.errors.TransientError`, whose message and hint a person reads.
The service's rules stay in its classifier; the loop is written once, here.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from hub.connectors.throttle import Throttle
from hub.errors import ConnectorError, TransientError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Retry:
    """A classifier's answer: the failure is worth another try.

    ``reason`` says what failed, for the message when the tries run out
    (``"throttled (429)"``, ``"APIConnectionError: ..."``). ``after`` is the
    pause the service asked for, in seconds; ``None`` waits the backoff.
    """

    reason: str
    after: float | None = None


Classifier = Callable[[BaseException], Retry | None]
"""A failed request -> :class:`Retry`, or ``None`` to give up at once."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between tries when the service named none: ``first`` seconds after the
    first try, doubling each time up to ``most``, each scaled by a random 50-100 %
    so that threads throttled together do not come back together."""

    first: float
    most: float

    def seconds(self, attempt: int) -> float:
        """The wait after try number ``attempt`` (from 1)."""
        return float(min(self.most, self.first * 2 ** (attempt - 1))
                     * (0.5 + random.random() / 2))


@dataclass(frozen=True, slots=True)
class GaveUp:
    """Why the tries ran out: what was asked, how many tries, the last failure and
    the classifier's reason for it."""

    label: str
    tries: int
    error: BaseException
    reason: str


def _no_answer(out: GaveUp) -> ConnectorError:
    return TransientError(f"no answer to {out.label} after {out.tries} tries ({out.reason})")


class ApiCaller:
    """Makes one connector's requests: within its budgets, tried again as its classifier says.

    ``before`` runs ahead of each try, before the budgets (signing in, which is
    no request of the budgeted API). ``sleep`` is the sleep between tries (a
    test passes its own; ``None`` is ``time.sleep``). ``requests`` and
    ``retries`` count per label; the caller may be shared by threads.
    """

    def __init__(self, classify: Classifier, *, max_attempts: int, backoff: Backoff,
                 budgets: Sequence[Throttle] = (),
                 gave_up: Callable[[GaveUp], ConnectorError] = _no_answer,
                 before: Callable[[], None] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.classify = classify
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.budgets = tuple(budgets)
        self.gave_up = gave_up
        self.before = before
        self.requests: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self._sleep = sleep
        self._lock = threading.Lock()

    @property
    def total_requests(self) -> int:
        """Requests made so far, every label and try counted."""
        return sum(self.requests.values())

    def call(self, label: str, request: Callable[[], T]) -> T:
        """``request()``, tried until it answers, the classifier gives up or the tries run out."""
        failed: BaseException | None = None  # the last failure and the classifier's verdict
        verdict: Retry | None = None

        def attempt() -> T:
            if self.before is not None:
                self.before()
            for budget in self.budgets:
                budget.wait()
            with self._lock:
                self.requests[label] += 1
            return request()

        def worth_retrying(exc: BaseException) -> bool:
            nonlocal failed, verdict
            failed, verdict = exc, self.classify(exc)
            return verdict is not None

        def wait(state: RetryCallState) -> float:
            assert verdict is not None
            if verdict.after is None:
                return self.backoff.seconds(state.attempt_number)
            if self.budgets:
                self.budgets[0].slow_down(verdict.after)
            return verdict.after

        def count_retry(state: RetryCallState) -> None:
            with self._lock:
                self.retries[label] += 1

        retrying = Retrying(retry=retry_if_exception(worth_retrying),
                            stop=stop_after_attempt(self.max_attempts), wait=wait,
                            before_sleep=count_retry, reraise=True,
                            sleep=self._sleep or time.sleep)
        try:
            return retrying(attempt)
        except Exception as exc:
            if exc is failed and verdict is not None:  # still worth a try: the tries ran out
                raise self.gave_up(GaveUp(label, self.max_attempts, exc, verdict.reason)) \
                    from None
            raise
