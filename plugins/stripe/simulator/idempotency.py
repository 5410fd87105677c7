"""Idempotency keys as Stripe keeps them.

The first answer to a POST with an ``Idempotency-Key`` (status and body, an
error included once the endpoint had started its work) is kept and replayed
for every retry with that key. The same key with other parameters (or on
another endpoint) is an ``idempotency_error`` (400); a retry while the first
request is still running gets 409. Keys are forgotten after 24 hours; each
API key has its own.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import orjson

from plugins.stripe.simulator.clock import SimClock
from plugins.stripe.simulator.errors import StripeError

KEEP_FOR = 24 * 3600
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Saved:
    """A remembered answer."""

    status: int
    body: bytes
    request_id: str


@dataclass
class _Entry:
    fingerprint: str
    created: int
    answer: Saved | None = None


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    blob = orjson.dumps([method, path, params], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


class IdempotencyKeys:
    """Every key seen in the last 24 hours, per API key."""

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._calls = 0

    def __len__(self) -> int:
        return len(self._entries)

    def begin(self, scope: str, key: str, print_: str) -> Saved | None:
        """The saved answer to replay, or None when this request is to run now.

        Raises StripeError for a key too long, a key reused with other
        parameters, or a key whose first request is still running.
        """
        if len(key) > MAX_KEY_LENGTH:
            raise StripeError(400, f"Idempotency keys can be at most {MAX_KEY_LENGTH} "
                              f"characters long; this one has {len(key)}.",
                              type="invalid_request_error", param="Idempotency-Key")
        now = self._clock.now()
        with self._lock:
            self._prune(now)
            entry = self._entries.get((scope, key))
            if entry is not None and entry.created < now - KEEP_FOR:
                entry = None
            if entry is None:
                self._entries[(scope, key)] = _Entry(print_, now)
                return None
            if entry.fingerprint != print_:
                raise StripeError(
                    400, "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.",
                    type="idempotency_error")
            if entry.answer is None:
                raise StripeError(
                    409, "There is currently another in-progress request using this "
                    "idempotency key (that probably means you submitted twice, and that's "
                    "OK). Try again later.", type="idempotency_error",
                    code="idempotency_key_in_use")
            return entry.answer

    def finish(self, scope: str, key: str, answer: Saved) -> None:
        with self._lock:
            entry = self._entries.get((scope, key))
            if entry is not None:
                entry.answer = answer

    def forget(self, scope: str, key: str) -> None:
        """The request never ran (refused before the endpoint started): the key stays free."""
        with self._lock:
            self._entries.pop((scope, key), None)

    def _prune(self, now: int) -> None:
        self._calls += 1
        if self._calls % 1000:
            return
        old = [k for k, v in self._entries.items() if v.created < now - KEEP_FOR]
        for k in old:
            del self._entries[k]
