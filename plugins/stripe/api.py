"""The Stripe SDK as the connector uses it: our retries, our request budget, a request count.

The SDK is told not to retry (``max_network_retries=0``): it would not retry a
plain 429 and ignores ``Retry-After``, so one layer owns retries: the hub's
:class:`~hub.ApiCaller`, told by :func:`classify` what Stripe's answers mean.
A request is tried again after a 429 (waiting what ``Retry-After`` says, and
slowing every thread of the connector down), a 5xx, a 409 (the same
idempotency key still in flight) or a dropped connection, unless Stripe says
``Stripe-Should-Retry: false``. Every POST carries an idempotency key, so a
retried write is replayed by Stripe, never done twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson
import stripe

from hub import (
    ApiCaller,
    ApiPage,
    Backoff,
    ConnectorError,
    FatalError,
    GaveUp,
    Retry,
    Throttle,
    TransientError,
    paginate,
)
from plugins.stripe.config import StripeConfig

T = TypeVar("T")
Obj = dict[str, Any]

BACKOFF = Backoff(first=0.25, most=8.0)
RESUME_HINT = ("the next sync resumes from the last page stored; if it keeps happening, "
               "lower `concurrency` or `requests_per_second`")


class StripeUnavailable(TransientError):
    """Stripe kept failing a request after every retry (throttled, 5xx, no connection).

    ``label`` is what was asked (``list invoices``), ``tries`` how often, and
    ``reason`` the last failure as the SDK put it (it may run over lines).
    """

    def __init__(self, label: str, tries: int, reason: str, *, connector: str | None = None,
                 hint: str | None = RESUME_HINT) -> None:
        self.label, self.tries, self.reason = label, tries, reason
        super().__init__(f"Stripe did not answer {label} after {tries} tries ({reason})",
                         connector=connector, hint=hint)


class StripeRefused(FatalError):
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


def classify(exc: BaseException) -> Retry | None:
    """Stripe's failures for :class:`~hub.ApiCaller`: try again when :func:`retryable`
    says so, after ``Retry-After`` when Stripe gave one."""
    if not isinstance(exc, stripe.StripeError) or not retryable(exc):
        return None
    return Retry(f"{type(exc).__name__}: {exc.user_message or exc}", after=retry_after(exc))


def refusal(exc: BaseException, label: str) -> StripeRefused | None:
    """A refused key as the person running the hub reads it, or None for other failures."""
    if isinstance(exc, stripe.AuthenticationError):
        return StripeRefused(
            f"Stripe refused the API key while trying to {label}",
            hint="set the environment variable that `api_key` names to a secret key "
                 "(sk_...) or restricted key (rk_...) of this account")
    if isinstance(exc, stripe.PermissionError):
        return StripeRefused(
            f"the API key may not {label}",
            hint="give the restricted key read access to it, or leave the entity out "
                 "of `entities`")
    return None


def _gave_up(out: GaveUp) -> ConnectorError:
    """:class:`StripeUnavailable`; a refused key stays :class:`StripeRefused` even when
    Stripe had said to try it again (``Stripe-Should-Retry: true``)."""
    return refusal(out.error, out.label) or StripeUnavailable(out.label, out.tries, out.reason)


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
        self.caller = ApiCaller(classify, max_attempts=config.max_attempts, backoff=BACKOFF,
                                budgets=[self.throttle], gave_up=_gave_up, sleep=sleep)
        self.requests = self.caller.requests
        self.retries = self.caller.retries
        self._fast_json = fast_json

    # ------------------------------------------------------------------ calling
    def call(self, label: str, request: Callable[[], T]) -> T:
        """``request()`` within the budget, tried again while Stripe says it may be.

        A refused key raises :class:`StripeRefused`, a request that kept failing
        :class:`StripeUnavailable`; any other refusal is the SDK's own error.
        """
        try:
            return self.caller.call(label, request)
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            raise refusal(exc, label) or exc from None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()  # type: ignore[no-untyped-call]

    @property
    def total_requests(self) -> int:
        return self.caller.total_requests

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
        """Every object of a list, page after page (``starting_after`` the last id read)."""
        query = {**params, "limit": 100}

        def fetch(after: str | None) -> ApiPage[Obj, str | None]:
            page = self.get(label, path, {**query, "starting_after": after} if after else query)
            data = list(page["data"])
            return ApiPage(data, str(data[-1]["id"]) if data else after,
                           more=bool(page.get("has_more")) and bool(data))

        return [obj for page in paginate(fetch, None) for obj in page.items]
