"""The Stripe SDK as the connector uses it: our retries, our request budget, a request count.

The SDK is told not to retry (``max_network_retries=0``): it would not retry a
plain 429 and ignores ``Retry-After``, so one layer, this one, owns retries.
A request is tried again after a 429 (waiting what ``Retry-After`` says, and
slowing every thread of the connector down), a 5xx, a 409 (the same
idempotency key still in flight) or a dropped connection, unless Stripe says
``Stripe-Should-Retry: false``. Every POST carries an idempotency key, so a
retried write is replayed by Stripe, never done twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson
import stripe
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from hub import HubError, Throttle
from plugins.stripe.config import StripeConfig

T = TypeVar("T")
Obj = dict[str, Any]

BACKOFF_FIRST = 0.25
BACKOFF_MAX = 8.0


class StripeUnavailable(HubError):
    """Stripe kept failing a request after every retry."""


class StripeRefused(HubError):
    """Stripe refused the key: not a key it knows, or one not allowed to read this."""


def _header(exc: BaseException, name: str) -> str | None:
    headers = getattr(exc, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def retryable(exc: BaseException) -> bool:
    """Whether Stripe's answer (or its absence) says the request may be tried again."""
    if not isinstance(exc, stripe.StripeError):
        return False
    should = _header(exc, "Stripe-Should-Retry")
    if should is not None:
        return should.lower() == "true"
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    status = exc.http_status or 0
    return status == 409 or status >= 500


def retry_after(exc: BaseException) -> float | None:
    """Seconds Stripe asked us to wait (``Retry-After``), if it said."""
    text = _header(exc, "Retry-After")
    try:
        return max(0.0, float(text)) if text is not None else None
    except ValueError:
        return None


class StripeApi:
    """One Stripe account, reached through the official SDK."""

    def __init__(self, config: StripeConfig, *, sleep: Callable[[float], None] | None = None,
                 fast_json: bool = True) -> None:
        base = {"api": config.api_base.rstrip("/")} if config.api_base else None
        self._http = stripe.HTTPXClient(timeout=config.timeout_seconds, allow_sync_methods=True)
        self.client = stripe.StripeClient(
            config.api_key.get_secret_value(),
            base_addresses=base,  # type: ignore[arg-type]
            http_client=self._http,
            max_network_retries=0,
        )
        self.throttle = Throttle(config.rate(), burst=config.concurrency)
        self.max_attempts = config.max_attempts
        self.requests: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._sleep = sleep
        self._fast_json = fast_json

    # ------------------------------------------------------------------ calling
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        told = retry_after(exc) if exc is not None else None
        if told is not None:
            self.throttle.slow_down(told)
            return told
        backoff = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (state.attempt_number - 1))
        return float(backoff * (0.5 + random.random() / 2))

    def call(self, label: str, request: Callable[[], T]) -> T:
        """``request()`` within the budget, tried again while Stripe says it may be."""
        def attempt() -> T:
            self.throttle.wait()
            with self._lock:
                self.requests[label] += 1
            return request()

        def before_sleep(state: RetryCallState) -> None:
            with self._lock:
                self.retries[label] += 1

        retrying = Retrying(
            retry=retry_if_exception(retryable), stop=stop_after_attempt(self.max_attempts),
            wait=self._wait, before_sleep=before_sleep, reraise=True,
            sleep=self._sleep or time.sleep,
        )
        try:
            return retrying(attempt)
        except stripe.AuthenticationError:
            raise StripeRefused(
                f"Stripe refused the API key while trying to {label}",
                hint="set the environment variable that `api_key` names to a secret key "
                     "(sk_...) or restricted key (rk_...) of this account",
            ) from None
        except stripe.PermissionError:
            raise StripeRefused(
                f"the API key may not {label}",
                hint="give the restricted key read access to it, or leave the entity out "
                     "of `entities`",
            ) from None
        except stripe.StripeError as exc:
            if not retryable(exc):
                raise
            raise StripeUnavailable(
                f"Stripe did not answer {label} after {self.max_attempts} tries "
                f"({type(exc).__name__}: {exc.user_message or exc})",
                hint="the next sync resumes from the last page stored; if it keeps "
                     "happening, lower `concurrency` or `requests_per_second`",
            ) from None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()  # type: ignore[no-untyped-call]

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    # ------------------------------------------------------------------ reading
    def get(self, label: str, path: str, params: Mapping[str, Any] | None = None) -> Obj:
        """``GET path`` through the SDK's request layer, the answer as plain JSON.

        The SDK's typed objects are skipped on purpose: building them costs
        about ten times the request itself, and the connector wants dicts.
        """
        query = dict(params or {})
        return self.call(label, lambda: self._get_json(path, query))

    def _get_json(self, path: str, query: dict[str, Any]) -> Obj:
        """The SDK's own request (headers, encoding, errors), the body decoded by orjson.

        ``raw_request`` would decode it with ``json`` into ``OrderedDict``s, a
        Python call per object: a tenth of a full sync's CPU. Should the SDK's
        request layer change shape, the public ``raw_request`` is used instead.
        """
        requestor: Any = getattr(self.client, "_requestor", None)
        request_raw = getattr(requestor, "request_raw", None)
        if (not self._fast_json or request_raw is None
                or not hasattr(requestor, "_interpret_response")):
            response = self.client.raw_request("get", path, **query)
            return dict(response.data)
        body, code, headers = request_raw("get", path, params=query, base_address="api",
                                          api_mode="V1", usage=["raw_request"])
        if not 200 <= code < 300:
            requestor._interpret_response(body, code, headers, "V1")  # raises the StripeError
        data: Obj = orjson.loads(body)
        return data

    def list_page(self, resource: str, params: Mapping[str, Any]) -> tuple[list[Obj], bool]:
        """One page of ``GET /v1/<resource>``: the objects, and whether more follow."""
        page = self.get(f"list {resource}", f"/v1/{resource}", params)
        return list(page["data"]), bool(page.get("has_more"))

    def list_all(self, resource: str, params: Mapping[str, Any]) -> list[Obj]:
        """Every object of a (short) list, page after page."""
        return self._all(f"list {resource}", f"/v1/{resource}", params)

    def lines(self, resource: str, parent_id: str) -> list[Obj]:
        """Every line of an invoice or credit note (``/v1/invoices/in_1/lines``)."""
        return self._all(f"list {resource} lines", f"/v1/{resource}/{parent_id}/lines", {})

    def retrieve(self, resource: str, object_id: str, params: Mapping[str, Any] | None = None
                 ) -> Obj:
        return self.get(f"retrieve {resource}", f"/v1/{resource}/{object_id}", params)

    # ------------------------------------------------------------------ writing
    def post(self, label: str, path: str, params: Mapping[str, Any], *,
             idempotency_key: str) -> Obj:
        """``POST path`` with ``params`` (form-encoded by the SDK) and our own key.

        Every try of the request carries the same ``Idempotency-Key``: Stripe
        answers a repeat with the first answer, so a write is never done twice
        however often the connection drops or the answer is lost.
        """
        body = dict(params)
        return self.call(label, lambda: self._post_json(path, body, idempotency_key))

    def _post_json(self, path: str, params: dict[str, Any], key: str) -> Obj:
        response = self.client.raw_request("post", path, idempotency_key=key, **params)
        data: Obj = orjson.loads(response.body)
        return data

    def _all(self, label: str, path: str, params: Mapping[str, Any]) -> list[Obj]:
        out: list[Obj] = []
        query = {**params, "limit": 100}
        while True:
            page = self.get(label, path, query)
            data = list(page["data"])
            out.extend(data)
            if not page.get("has_more") or not data:
                return out
            query["starting_after"] = data[-1]["id"]
