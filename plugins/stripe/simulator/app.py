"""The simulated API: routing, authentication, faults, rate limits, idempotency.

:class:`Simulator` answers one request at a time through :meth:`Simulator.handle`
and knows nothing of sockets; :mod:`.server` puts it on HTTP. Operations can
also be called in-process with :meth:`Simulator.api` (the seeder does), which
runs the same endpoint code without faults, limits or counting.
"""

from __future__ import annotations

import base64
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.testing import Hold, Holds
from plugins.stripe.simulator import (
    control,
    credit_notes,
    customers,
    disputes,
    events,
    expand,
    invoice_lifecycle,
    invoice_lines,
    invoices,
    payments,
    payouts,
    shapes,
)
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.account import Account
from plugins.stripe.simulator.clock import SimClock
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import StripeError
from plugins.stripe.simulator.faults import FaultInjector, Faults
from plugins.stripe.simulator.forms import parse_form
from plugins.stripe.simulator.idempotency import IdempotencyKeys, Saved, fingerprint
from plugins.stripe.simulator.params import Params
from plugins.stripe.simulator.ratelimit import RateLimit, RateLimiter
from plugins.stripe.simulator.store import Store
from plugins.stripe.simulator.webhooks import Webhooks

JSON = dict[str, Any]
Handler = Callable[..., JSON]

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/customers", customers.list_),
    ("POST", "/v1/customers", customers.create),
    ("GET", "/v1/customers/{id}", customers.retrieve),
    ("POST", "/v1/customers/{id}", customers.update),
    ("DELETE", "/v1/customers/{id}", customers.delete),
    ("GET", "/v1/invoices", invoices.list_),
    ("POST", "/v1/invoices", invoices.create),
    ("GET", "/v1/invoices/{id}", invoices.retrieve),
    ("POST", "/v1/invoices/{id}", invoices.update),
    ("GET", "/v1/invoices/{id}/lines", invoice_lines.list_lines),
    ("GET", "/v1/invoices/{id}/payments", payments.list_invoice_payments),
    ("POST", "/v1/invoices/{id}/add_lines", invoice_lines.add_lines),
    ("POST", "/v1/invoices/{id}/remove_lines", invoice_lines.remove_lines),
    ("POST", "/v1/invoices/{id}/finalize", invoice_lifecycle.finalize),
    ("POST", "/v1/invoices/{id}/pay", invoice_lifecycle.pay),
    ("POST", "/v1/invoices/{id}/attach_payment", invoice_lifecycle.attach_payment),
    ("POST", "/v1/invoices/{id}/send", invoice_lifecycle.send),
    ("POST", "/v1/invoices/{id}/void", invoice_lifecycle.void),
    ("POST", "/v1/invoices/{id}/mark_uncollectible", invoice_lifecycle.mark_uncollectible),
    ("GET", "/v1/invoiceitems", invoice_lines.list_items),
    ("POST", "/v1/invoiceitems", invoice_lines.create_item),
    ("GET", "/v1/invoiceitems/{id}", invoice_lines.retrieve_item),
    ("GET", "/v1/invoice_payments", payments.list_invoice_payments),
    ("GET", "/v1/invoice_payments/{id}", payments.retrieve_invoice_payment),
    ("GET", "/v1/payment_intents", payments.list_intents),
    ("POST", "/v1/payment_intents", payments.create_intent),
    ("GET", "/v1/payment_intents/{id}", payments.retrieve_intent),
    ("GET", "/v1/charges", payments.list_charges),
    ("GET", "/v1/charges/{id}", payments.retrieve_charge),
    ("GET", "/v1/charges/{id}/refunds", payments.list_charge_refunds),
    ("GET", "/v1/refunds", payments.list_refunds),
    ("POST", "/v1/refunds", payments.create_refund),
    ("GET", "/v1/refunds/{id}", payments.retrieve_refund),
    ("POST", "/v1/refunds/{id}", payments.update_refund),
    ("GET", "/v1/credit_notes", credit_notes.list_),
    ("POST", "/v1/credit_notes", credit_notes.create),
    ("GET", "/v1/credit_notes/{id}", credit_notes.retrieve),
    ("POST", "/v1/credit_notes/{id}", credit_notes.update),
    ("GET", "/v1/credit_notes/{id}/lines", credit_notes.list_lines),
    ("GET", "/v1/disputes", disputes.list_),
    ("GET", "/v1/disputes/{id}", disputes.retrieve),
    ("POST", "/v1/disputes/{id}/close", disputes.close),
    ("GET", "/v1/payouts", payouts.list_),
    ("GET", "/v1/payouts/{id}", payouts.retrieve),
    ("GET", "/v1/balance_transactions", payouts.list_transactions),
    ("GET", "/v1/balance_transactions/{id}", payouts.retrieve_transaction),
    ("GET", "/v1/events", events.list_),
    ("GET", "/v1/events/{id}", events.retrieve),
]
"""(method, path template, endpoint): every endpoint the simulator serves."""


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(template).replace(r"\{id\}", "(?P<id>[^/]+)") + "$")


_ROUTES = [_Route(m, t, _compile(t), h) for m, t, h in ROUTES]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    """Close the connection without sending anything (an injected fault)."""

    def json(self) -> Any:
        return orjson.loads(self.body)


DROP = Response(0, b"", drop=True)


class Simulator:
    """One simulated Stripe account.

    ``api_keys``: the secret keys it accepts (default: any test key,
    ``sk_test_...`` or ``rk_test_...``). ``seed`` makes ids and everything
    random in it reproducible. Knobs, all settable while it serves:
    ``faults`` (:class:`Faults`), ``rate_limit`` (:class:`RateLimit`),
    ``clock`` (:class:`SimClock`), ``webhooks`` (:class:`Webhooks`).
    ``control=True`` also serves those knobs over HTTP (:mod:`.control`).
    ``account`` (:class:`Account`) says which currencies charges settle in.
    """

    def __init__(self, *, seed: int = 0, api_keys: set[str] | None = None,
                 clock: SimClock | None = None, faults: Faults | None = None,
                 rate_limit: RateLimit | None = None, control: bool = False,
                 account: Account | None = None) -> None:
        self.store = Store(seed=seed, clock=clock, account=account)
        self.control = control
        self.clock = self.store.clock
        self.api_keys = api_keys
        self._faults = FaultInjector(faults)
        self._limiter = RateLimiter(rate_limit)
        self.idempotency = IdempotencyKeys(self.clock)
        self.webhooks = Webhooks(self.store)
        self.stopping = threading.Event()
        self._holds = Holds()
        self._count_lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._includable: dict[tuple[str, str], expand.Includer] = {
            ("invoice", "payments"): lambda obj: invoices.payments_of(self.ctx(), obj),
        }

    # ------------------------------------------------------------ knobs

    @property
    def faults(self) -> Faults:
        return self._faults.config

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._faults.config = faults

    def script_fault(self, kind: Any, times: int = 1, *, method: str | None = None,
                     path: str | None = None) -> None:
        """The next ``times`` requests matching ``method`` and ``path`` (a regex) meet
        ``kind``: "rate_limit", "lock_timeout", "server_error", "drop" or "lost_response"."""
        self._faults.script(kind, times, method=method, path=path)

    def hold(self, path: str, *, when: str = "before") -> Hold:
        """Stop the next request whose path matches ``path`` (a regular expression)
        ``before`` the simulator handles it or ``after`` (carried out, its answer not sent),
        until the :class:`Hold` is released: a test kills the client meanwhile."""
        return self._holds.add(path, when)

    @property
    def injected(self) -> dict[str, int]:
        """How many times each fault was injected."""
        return dict(self._faults.injected)

    @property
    def rate_limit(self) -> RateLimit:
        return self._limiter.limit

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        self._limiter.set(limit)

    # ------------------------------------------------------------ counting

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests received per endpoint (``"GET /v1/invoices"``), faulted ones included."""
        with self._count_lock:
            return dict(self._counts)

    @property
    def request_total(self) -> int:
        with self._count_lock:
            return sum(self._counts.values())

    def reset_request_counts(self) -> None:
        with self._count_lock:
            self._counts.clear()

    # ------------------------------------------------------------ in-process use

    def ctx(self, request_id: str | None = None, idempotency_key: str | None = None) -> Ctx:
        return Ctx(self.store, request_id, idempotency_key)

    def api(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> JSON:
        """Call an endpoint in-process with Python values for parameters (no faults,
        limits or counting); raises :class:`StripeError` as the API would answer it."""
        route, object_id = _match(method, path)
        if route is None:
            raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")
        return self._run(route, object_id, Params(dict(params or {})), self.ctx())

    def pay_out(self, currency: str | None = None) -> list[r.Payout]:
        """Automatic payouts of the available balance (one per currency)."""
        return payouts.pay_out(self.ctx(), currency)

    def settle_payouts(self) -> list[r.Payout]:
        """Payouts whose arrival date has passed become paid."""
        return payouts.settle(self.ctx())

    def open_dispute(self, charge_id: str, *, amount: int | None = None,
                     reason: str = "general", inquiry: bool = False,
                     due_days: int = disputes.EVIDENCE_DAYS) -> r.Dispute:
        """The cardholder disputes the charge (test helper; see :mod:`.disputes`)."""
        return disputes.open_dispute(self.ctx(), charge_id, amount=amount, reason=reason,
                                     inquiry=inquiry, due_days=due_days)

    def decide_dispute(self, dispute_id: str, outcome: str) -> r.Dispute:
        """The card network moves the dispute to ``under_review``, ``won`` or ``lost``."""
        return disputes.decide(self.ctx(), dispute_id, outcome)

    # ------------------------------------------------------------ HTTP

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request as Stripe would (or drop it, when a fault says so).

        Injected latency is spent where Stripe spends its time, while the
        request runs (its idempotency key in flight); refusals (faults, rate
        limits) answer at once.
        """
        if self.control and request.path.startswith(control.PREFIX):
            return control.handle(self, request)
        if self._holds.pause(request.path, "before"):
            return DROP
        response = self._handle(request)
        self._holds.pause(request.path, "after")
        return response

    def _handle(self, request: Request) -> Response:
        route, object_id = _match(request.method, request.path)
        with self._count_lock:
            self._counts[f"{request.method} {route.template if route else '(unknown)'}"] += 1
        delay, fault = self._faults.decide(request.method, request.path)
        if fault == "drop":
            return DROP
        request_id = self.store.new_id("req_", 14)
        retry_in = self._limiter.enter()
        if retry_in is not None:
            return self._error(_rate_limited(max(1, round(retry_in + 0.4999))), request_id)
        try:
            if fault == "rate_limit":
                return self._error(_rate_limited(self.faults.retry_after), request_id)
            if fault == "lock_timeout":
                return self._error(_lock_timeout(), request_id)
            if fault == "server_error":
                return self._error(StripeError(500, "An unknown error occurred",
                                               type="api_error"), request_id)
            response = self._answer(request, route, object_id, request_id, delay)
        finally:
            self._limiter.leave()
        if fault == "lost_response" or response.drop:
            return DROP
        return response

    def _answer(self, request: Request, route: _Route | None, object_id: str | None,
                request_id: str, delay: float) -> Response:
        api_key = _api_key(request.headers)
        version = request.headers.get("stripe-version") or shapes.API_VERSION
        headers = {"Request-Id": request_id, "Stripe-Version": version}
        try:
            self._authenticate(api_key)
            if route is None:
                raise StripeError(404, f"Unrecognized request URL ({request.method}: "
                                  f"{request.path}). Please see https://stripe.com/docs or we "
                                  "can help at https://support.stripe.com/.")
            raw = parse_form(request.query)
            if request.method == "POST" and request.body:
                raw.update(parse_form(request.body.decode("utf-8", "replace")))
        except StripeError as exc:
            return self._error(exc, request_id, headers)
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        if key is None:
            return self._execute(route, object_id, raw, request_id, headers, None, "", delay)
        scope = api_key or ""
        headers["Idempotency-Key"] = key
        try:
            saved = self.idempotency.begin(
                scope, key, fingerprint(request.method, request.path, raw))
        except StripeError as exc:
            return self._error(exc, request_id, headers)
        if saved is not None:
            return Response(saved.status, saved.body, {
                **headers, "Idempotent-Replayed": "true", "Original-Request": saved.request_id,
                "Content-Type": "application/json"})
        return self._execute(route, object_id, raw, request_id, headers, key, scope, delay)

    def _execute(self, route: _Route, object_id: str | None, raw: JSON, request_id: str,
                 headers: dict[str, str], key: str | None, scope: str,
                 delay: float = 0.0) -> Response:
        if delay and self.stopping.wait(delay):
            if key is not None:
                self.idempotency.forget(scope, key)
            return DROP
        ctx = self.ctx(request_id, key)
        try:
            answer = self._run(route, object_id, Params(raw), ctx)
            response = Response(200, orjson.dumps(answer),
                                {**headers, "Content-Type": "application/json"})
            executed = True
        except StripeError as exc:
            response = self._error(exc, request_id, headers)
            executed = exc.executed
        except Exception as exc:  # a simulator bug answers as Stripe's own would
            response = self._error(StripeError(500, f"An unknown error occurred ({exc!r})",
                                               type="api_error"), request_id, headers)
            executed = True
        if key is not None:
            if executed:
                self.idempotency.finish(scope, key, Saved(response.status, response.body,
                                                          request_id))
            else:
                self.idempotency.forget(scope, key)
        return response

    def _run(self, route: _Route, object_id: str | None, p: Params, ctx: Ctx) -> JSON:
        paths = p.texts("expand") or []
        answer = (route.handler(ctx, p) if object_id is None
                  else route.handler(ctx, p, object_id))
        if paths:
            answer = expand.expand(self.store, answer, paths, self._includable)
        return answer

    def _authenticate(self, api_key: str | None) -> None:
        if not api_key:
            raise StripeError(401, "You did not provide an API key. You need to provide your "
                              "API key in the Authorization header, using Bearer auth (e.g. "
                              "'Authorization: Bearer YOUR_SECRET_KEY').")
        allowed = (api_key in self.api_keys if self.api_keys is not None
                   else api_key.startswith(("sk_test_", "rk_test_")))
        if not allowed:
            raise StripeError(401, f"Invalid API Key provided: {api_key[:8]}****"
                              f"{api_key[-4:]}")

    def _error(self, exc: StripeError, request_id: str,
               headers: dict[str, str] | None = None) -> Response:
        return Response(exc.status, orjson.dumps(exc.body(request_id)), {
            **(headers or {"Request-Id": request_id}), **exc.headers,
            "Content-Type": "application/json"})


def _match(method: str, path: str) -> tuple[_Route | None, str | None]:
    for route in _ROUTES:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict().get("id")
    return None, None


def _api_key(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip() or None
    if auth.startswith("Basic "):
        try:
            user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return None
        return user or None
    return None


def _rate_limited(retry_after: int) -> StripeError:
    return StripeError(
        429, "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.", code="rate_limit",
        headers={"Retry-After": str(retry_after)})


def _lock_timeout() -> StripeError:
    return StripeError(
        429, "This object cannot be accessed right now because another API request or Stripe "
        "process is currently accessing it. If you see this error intermittently, retry the "
        "request.", code="lock_timeout", headers={"Stripe-Should-Retry": "true"})
