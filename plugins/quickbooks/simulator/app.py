"""The simulator's state and its HTTP answers, apart from any transport.

:class:`QboSimulator` holds the companies (realms), the OAuth server and the
knobs; :meth:`QboSimulator.handle` turns one :class:`Request` into one
:class:`Response`. The methods ``create``/``update``/``get``/``delete``/
``void``/``all``/``query`` act on the default company without HTTP and
answer exactly what the API would (objects as dicts, amounts as Decimal).

Routes (``ROUTES`` lists them):

- ``GET /.well-known/openid_configuration/`` the OpenID discovery document;
- ``GET /oauth2/v1/authorize`` (consent given at once: 302 to the redirect
  URI with ``code``, ``state``, ``realmId``), ``POST /oauth2/v1/tokens/bearer``,
  ``POST /oauth2/v1/tokens/revoke``, ``GET /oauth2/v1/keys``,
  ``GET /v1/openid_connect/userinfo``;
- ``GET|POST /v3/company/{realm}/query``, ``GET .../cdc``, ``POST .../batch``,
  ``GET .../{entity}/{id}``, ``POST .../{entity}`` (create or update;
  ``?operation=delete``, ``?operation=void``, ``?operation=update&include=void``),
  ``POST .../invoice/{id}/send?sendTo=`` (:mod:`.sending`), ``GET .../companyinfo/{realm}``.

The routes' own code is beside this module: :mod:`.oauth_routes` (discovery,
OAuth, OpenID) and :mod:`.accounting_routes` (the accounting API); this one
keeps the simulator's state, its knobs and the gate every API call passes
(faults, token, company, throttle, ``minorversion``, ``requestid``).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from plugins.quickbooks.simulator import accounting_routes, errors, oauth_routes
from plugins.quickbooks.simulator.accounting_routes import resolve_entity, run_query
from plugins.quickbooks.simulator.clock import SimClock
from plugins.quickbooks.simulator.company import Change, Company
from plugins.quickbooks.simulator.errors import QboFault
from plugins.quickbooks.simulator.faults import FaultInjector, Faults
from plugins.quickbooks.simulator.holds import Hold, Holds
from plugins.quickbooks.simulator.messages import Request, Response, json_response
from plugins.quickbooks.simulator.oauth import OAuthError, OAuthServer
from plugins.quickbooks.simulator.oauth_routes import DISCOVERY_PATH, bearer
from plugins.quickbooks.simulator.sending import SentInvoice
from plugins.quickbooks.simulator.throttle import Limits, Throttle

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_REALM",
    "DEFAULT_REDIRECT_URI",
    "DISCOVERY_PATH",
    "MAX_REQUEST_ID",
    "ROUTES",
    "LoggedRequest",
    "QboSimulator",
    "Request",
    "Response",
    "resolve_entity",
    "run_query",
]

DEFAULT_REALM = "9341453050736518"
DEFAULT_CLIENT_ID = "ABsimulatorClientId0billinghub0qbo0000000000000000"
DEFAULT_CLIENT_SECRET = "simulatorSecret0billinghub0qbo0000000000"
DEFAULT_REDIRECT_URI = "https://localhost/quickbooks/callback"
MAX_REQUEST_ID = 50

ROUTES = (
    "GET /.well-known/openid_configuration/",
    "GET /oauth2/v1/authorize",
    "POST /oauth2/v1/tokens/bearer",
    "POST /oauth2/v1/tokens/revoke",
    "GET /oauth2/v1/keys",
    "GET /v1/openid_connect/userinfo",
    "GET|POST /v3/company/{realm}/query",
    "GET /v3/company/{realm}/cdc",
    "POST /v3/company/{realm}/batch",
    "GET /v3/company/{realm}/{entity}/{id}",
    "POST /v3/company/{realm}/{entity}",
    "POST /v3/company/{realm}/invoice/{id}/send",
    "GET /v3/company/{realm}/companyinfo/{realm}",
)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int
    realm_id: str | None = None
    minorversion: str | None = None
    requestid: str | None = None


class QboSimulator:
    """QuickBooks Online for one app (client) and one or more companies; thread-safe."""

    def __init__(self, *, realm_id: str = DEFAULT_REALM, clock: SimClock | None = None,
                 client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET,
                 redirect_uri: str = DEFAULT_REDIRECT_URI,
                 verifier_token: str | None = None, faults: Faults | None = None,
                 limits: Limits | None = None) -> None:
        self._lock = threading.RLock()
        self.clock = clock or SimClock()
        self.realm_id = realm_id
        self.companies: dict[str, Company] = {realm_id: Company(realm_id, self.clock)}
        self.oauth = OAuthServer(client_id, client_secret, redirect_uri)
        self.verifier_token = verifier_token or secrets.token_urlsafe(24)
        self._faults = FaultInjector(faults)
        self.throttle = Throttle(limits)
        self.max_batch_items = 30
        self.requests: list[LoggedRequest] = []
        self.minorversions: set[str] = set()
        self._answers: dict[tuple[str, str], Response] = {}
        self._holds = Holds()
        self.sent_invoices: list[SentInvoice] = []
        """Every invoice e-mailed by ``POST .../invoice/{id}/send``, in order."""

    # -- knobs ---------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._faults.config

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._faults.config = value

    def script_fault(self, kind: Any, times: int = 1, *, method: str | None = None,
                     path: str | None = None) -> None:
        """The next ``times`` API calls matching ``method``/``path`` meet ``kind``
        (``"throttle"``, ``"server_error"`` or ``"lost_response"``)."""
        self._faults.script(kind, times, method=method, path=path)

    @property
    def limits(self) -> Limits:
        return self.throttle.limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        self.throttle.limits = value
        self.throttle.reset()

    @property
    def access_token_lifetime(self) -> int:
        return self.oauth.access_token_lifetime

    @access_token_lifetime.setter
    def access_token_lifetime(self, seconds: int) -> None:
        self.oauth.access_token_lifetime = int(seconds)

    @property
    def refresh_token_grace(self) -> float:
        return self.oauth.refresh_token_grace

    @refresh_token_grace.setter
    def refresh_token_grace(self, seconds: float) -> None:
        self.oauth.refresh_token_grace = float(seconds)

    @property
    def refresh_token_rotation(self) -> float:
        return self.oauth.refresh_token_rotation

    @refresh_token_rotation.setter
    def refresh_token_rotation(self, seconds: float) -> None:
        self.oauth.refresh_token_rotation = float(seconds)

    def rotate_every_refresh(self) -> None:
        """The strictest OAuth server: a new refresh token at every refresh, the one
        used refused at once (Intuit replaces it about once a day, with a day's grace)."""
        self.oauth.rotate_every_refresh()

    def hold(self, path: str, *, when: str = "before") -> Hold:
        """Stop the next request whose path matches ``path`` (a regular expression)
        ``before`` the simulator handles it or ``after`` (its answer made, not sent),
        until the :class:`Hold` is released: a test kills the client meanwhile."""
        return self._holds.add(path, when)

    @property
    def client_id(self) -> str:
        return self.oauth.client_id

    @property
    def client_secret(self) -> str:
        return self.oauth.client_secret

    @property
    def redirect_uri(self) -> str:
        return self.oauth.redirect_uri

    def count_requests(self, method: str | None = None, path: str | None = None,
                       status: int | None = None) -> int:
        """How many logged requests match (``path``: a regular expression searched)."""
        with self._lock:
            log = list(self.requests)
        return sum(1 for r in log if (method is None or r.method == method)
                   and (path is None or re.search(path, r.path))
                   and (status is None or r.status == status))

    # -- companies and objects, without HTTP ----------------------------------------------

    def company(self, realm_id: str | None = None) -> Company:
        found = self.companies.get(realm_id or self.realm_id)
        if found is None:
            raise KeyError(f"no company {realm_id}")
        return found

    def add_company(self, realm_id: str, name: str = "Sandbox Company") -> Company:
        with self._lock:
            company = Company(realm_id, self.clock, name=name)
            self.companies[realm_id] = company
            return company

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.company().create(resolve_entity(entity), body)

    def update(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.company().update(resolve_entity(entity), body)

    def get(self, entity: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            return self.company().get(resolve_entity(entity), object_id)

    def delete(self, entity: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            return self.company().delete(resolve_entity(entity), {"Id": object_id})

    def void(self, entity: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            return self.company().void(resolve_entity(entity), {"Id": object_id})

    def all(self, entity: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            return self.company().all(resolve_entity(entity), include_deleted)

    def query(self, statement: str, realm_id: str | None = None) -> dict[str, Any]:
        """The ``QueryResponse`` the statement gets (raises ``QboFault`` on errors)."""
        with self._lock:
            company = self.company(realm_id)
            return run_query(statement, lambda e: company.all(e))

    def changes(self, realm_id: str | None = None) -> list[Change]:
        with self._lock:
            return list(self.company(realm_id).changes)

    def connect(self, realm_id: str | None = None) -> str:
        """A fresh refresh token for the company, as a completed consent gives one."""
        with self._lock:
            realm = self.company(realm_id).realm_id
            now = self.clock.timestamp()
            code = self.oauth.authorize(realm, self.client_id, self.redirect_uri, now)
            return self.oauth.exchange(code, self.redirect_uri, now).refresh_token

    def time_text(self) -> str:
        moment = datetime.fromtimestamp(self.clock.timestamp(), self.clock.tz)
        return moment.isoformat(timespec="milliseconds")

    # -- HTTP --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        realm: str | None = None
        if self._holds.pause(request.path, "before"):
            return Response(503, b"", {"Connection": "close"})  # dropped unseen
        try:
            if request.path.rstrip("/") == DISCOVERY_PATH.rstrip("/"):
                response = oauth_routes.discovery(request)
            elif request.path.startswith(("/oauth2/", "/v1/openid_connect/")):
                response = self._oauth(request, params)
            elif (match := re.fullmatch(r"/v3/company/([^/]+)/(.+)", request.path)):
                realm = match.group(1)
                response = self._api(request, params, realm, match.group(2))
            else:
                response = json_response(404, {"error": "not found", "path": request.path})
        except QboFault as fault:
            response = json_response(fault.status, fault.body(self.time_text()))
        except Exception as error:  # a bug in the simulator: answer as QuickBooks would
            response = json_response(500, errors.system_fault(f"{type(error).__name__}: {error}")
                                     .body(self.time_text()))
        with self._lock:
            self.requests.append(LoggedRequest(
                request.method, request.path, request.query, response.status, realm,
                params.get("minorversion"), params.get("requestid")))
            if "minorversion" in params:
                self.minorversions.add(params["minorversion"])
        self._holds.pause(request.path, "after")
        return response

    # -- OAuth ---------------------------------------------------------------------------

    def _oauth(self, request: Request, params: dict[str, str]) -> Response:
        try:
            with self._lock:
                return oauth_routes.handle(self, request, params)
        except OAuthError as error:
            return json_response(error.status, {"error": error.code})

    # -- the accounting API: the gate every call passes ----------------------------------

    def _api(self, request: Request, params: dict[str, str], realm: str,
             rest: str) -> Response:
        latency = self._faults.config.latency
        fault = self._faults.decide(request.method, request.path)
        if fault is not None and latency:
            time.sleep(latency)
        if fault == "server_error":
            raise errors.system_fault()
        if fault == "throttle":
            return self._throttled("injected")
        with self._lock:
            try:
                token_realm = self.oauth.realm_of(bearer(request), self.clock.timestamp())
            except OAuthError as error:
                raise errors.authentication(error.description) from error
            if realm not in self.companies:
                raise errors.forbidden(f"no company {realm} for this app")
            if token_realm != realm:
                raise errors.forbidden(f"the token was issued for company {token_realm}, "
                                       f"not {realm}")
        batch = rest.rstrip("/").lower() == "batch"
        reason = self.throttle.enter(realm, batch=batch)
        if reason is not None:
            return self._throttled(reason)
        try:
            if latency:  # inside the throttle's window: a slow call holds its place
                time.sleep(latency)
            minor = params.get("minorversion")
            if minor is not None and not minor.isdigit():
                raise errors.validation("2010", "Invalid minorversion",
                                        f"minorversion {minor!r} is not a number")
            request_id = params.get("requestid")
            if request_id is not None and request.method == "POST":
                response = self._once(realm, request_id,
                                      lambda: self._dispatch(request, params, realm, rest))
            else:
                response = self._dispatch(request, params, realm, rest)
            if fault == "lost_response":
                return dataclasses.replace(response, drop=True)
            return response
        finally:
            self.throttle.leave(realm)

    def _throttled(self, reason: str) -> Response:
        fault = errors.throttled()
        if self._faults.as_xml():
            return Response(429, errors.throttle_xml(self.time_text()).encode(),
                            {"Content-Type": "application/xml"})
        response = json_response(429, fault.body(self.time_text()))
        response.headers["X-Simulator-Throttle"] = reason
        return response

    def _once(self, realm: str, request_id: str, work: Callable[[], Response]) -> Response:
        """``requestid``: the first answer to a request id is the answer to its repeats."""
        if len(request_id) > MAX_REQUEST_ID:
            raise errors.invalid_request(f"requestid is longer than {MAX_REQUEST_ID} "
                                         "characters", "requestid")
        with self._lock:
            first = self._answers.get((realm, request_id))
            if first is not None:
                return Response(first.status, first.body, dict(first.headers))
            try:
                response = work()
            except QboFault as fault:
                if fault.status >= 500:
                    raise
                response = json_response(fault.status, fault.body(self.time_text()))
            self._answers[(realm, request_id)] = response
            return response

    def _dispatch(self, request: Request, params: dict[str, str], realm: str,
                  rest: str) -> Response:
        with self._lock:
            return accounting_routes.handle(self, request, params, realm, rest)
