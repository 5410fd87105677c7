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
  ``GET .../companyinfo/{realm}``.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from plugins.quickbooks.simulator import errors, query
from plugins.quickbooks.simulator.clock import SimClock, parse_time
from plugins.quickbooks.simulator.company import ENTITIES, NAME_LISTS, Change, Company
from plugins.quickbooks.simulator.errors import QboFault
from plugins.quickbooks.simulator.faults import FaultInjector, Faults
from plugins.quickbooks.simulator.oauth import OAuthError, OAuthServer
from plugins.quickbooks.simulator.throttle import Limits, Throttle
from plugins.quickbooks.simulator.wire import dumps, loads

DEFAULT_REALM = "9341453050736518"
DEFAULT_CLIENT_ID = "ABsimulatorClientId0billinghub0qbo0000000000000000"
DEFAULT_CLIENT_SECRET = "simulatorSecret0billinghub0qbo0000000000"
DEFAULT_REDIRECT_URI = "https://localhost/quickbooks/callback"
DISCOVERY_PATH = "/.well-known/openid_configuration/"
CDC_LOOKBACK = timedelta(days=30)
CDC_MAX_PER_ENTITY = 1000
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
    "GET /v3/company/{realm}/companyinfo/{realm}",
)


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-case names."""
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int
    realm_id: str | None = None
    minorversion: str | None = None
    requestid: str | None = None


def _json(status: int, payload: Any) -> Response:
    return Response(status, dumps(payload).encode(),
                    {"Content-Type": "application/json;charset=UTF-8",
                     "intuit_tid": secrets.token_hex(16)})


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
        (``"throttle"`` or ``"server_error"``)."""
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
        try:
            if request.path.rstrip("/") == DISCOVERY_PATH.rstrip("/"):
                response = self._discovery(request)
            elif request.path.startswith(("/oauth2/", "/v1/openid_connect/")):
                response = self._oauth(request, params)
            elif (match := re.fullmatch(r"/v3/company/([^/]+)/(.+)", request.path)):
                realm = match.group(1)
                response = self._api(request, params, realm, match.group(2))
            else:
                response = _json(404, {"error": "not found", "path": request.path})
        except QboFault as fault:
            response = _json(fault.status, fault.body(self.time_text()))
        except Exception as error:  # a bug in the simulator: answer as QuickBooks would
            response = _json(500, errors.system_fault(f"{type(error).__name__}: {error}")
                             .body(self.time_text()))
        with self._lock:
            self.requests.append(LoggedRequest(
                request.method, request.path, request.query, response.status, realm,
                params.get("minorversion"), params.get("requestid")))
            if "minorversion" in params:
                self.minorversions.add(params["minorversion"])
        return response

    def _discovery(self, request: Request) -> Response:
        base = f"https://{request.headers.get('host', '127.0.0.1')}"
        return _json(200, {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/oauth2/v1/authorize",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
            "jwks_uri": f"{base}/oauth2/v1/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone",
                                 "com.intuit.quickbooks.accounting",
                                 "com.intuit.quickbooks.payment"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        })

    # -- OAuth ---------------------------------------------------------------------------

    def _oauth(self, request: Request, params: dict[str, str]) -> Response:
        try:
            with self._lock:
                return self._oauth_locked(request, params)
        except OAuthError as error:
            return _json(error.status, {"error": error.code})

    def _oauth_locked(self, request: Request, params: dict[str, str]) -> Response:
        now = self.clock.timestamp()
        path = request.path.rstrip("/")
        if path == "/oauth2/v1/authorize" and request.method == "GET":
            realm = params.get("realmId") or self.realm_id
            code = self.oauth.authorize(realm, params.get("client_id", ""),
                                        params.get("redirect_uri", ""), now)
            location = params["redirect_uri"] + "?" + urlencode(
                {"code": code, "state": params.get("state", ""), "realmId": realm})
            return Response(302, b"", {"Location": location})
        if path == "/oauth2/v1/keys":
            return _json(200, {"keys": []})
        if path == "/v1/openid_connect/userinfo":
            realm = self.oauth.realm_of(_bearer(request), now)
            return _json(200, {"sub": f"simulated-user-{realm}", "email": "owner@example.com",
                               "emailVerified": True, "givenName": "Sim",
                               "familyName": "Owner"})
        if request.method != "POST":
            return _json(405, {"error": "method not allowed"})
        self.oauth.check_client(*_basic(request))
        if path == "/oauth2/v1/tokens/revoke":
            try:
                token = str(loads(request.body or b"{}").get("token", ""))
            except ValueError as error:
                raise OAuthError(400, "invalid_request", "the body is not JSON") from error
            self.oauth.revoke(token)
            return Response(200, b"", {"Content-Type": "application/json"})
        if path != "/oauth2/v1/tokens/bearer":
            return _json(404, {"error": "not found"})
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            tokens = self.oauth.exchange(form.get("code", ""), form.get("redirect_uri", ""), now)
        elif grant == "refresh_token":
            tokens = self.oauth.refresh(form.get("refresh_token", ""), now)
        else:
            raise OAuthError(400, "unsupported_grant_type", str(grant))
        return _json(200, tokens.answer())

    # -- the accounting API --------------------------------------------------------------

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
                token_realm = self.oauth.realm_of(_bearer(request), self.clock.timestamp())
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
                return self._once(realm, request_id,
                                  lambda: self._dispatch(request, params, realm, rest))
            return self._dispatch(request, params, realm, rest)
        finally:
            self.throttle.leave(realm)

    def _throttled(self, reason: str) -> Response:
        fault = errors.throttled()
        if self._faults.as_xml():
            return Response(429, errors.throttle_xml(self.time_text()).encode(),
                            {"Content-Type": "application/xml"})
        response = _json(429, fault.body(self.time_text()))
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
                response = _json(fault.status, fault.body(self.time_text()))
            self._answers[(realm, request_id)] = response
            return response

    def _dispatch(self, request: Request, params: dict[str, str], realm: str,
                  rest: str) -> Response:
        parts = [p for p in rest.split("/") if p]
        head = parts[0].lower()
        with self._lock:
            company = self.companies[realm]
            if head == "query" and len(parts) == 1:
                statement = (params.get("query") if request.method == "GET"
                             else request.body.decode("utf-8", errors="replace"))
                answer = run_query(statement or "", lambda e: company.all(e))
                return _json(200, {"QueryResponse": answer, "time": self.time_text()})
            if head == "cdc" and len(parts) == 1 and request.method == "GET":
                return _json(200, self._cdc(company, params))
            if head == "batch" and len(parts) == 1 and request.method == "POST":
                return _json(200, self._batch(company, request.body))
            if head == "companyinfo" and request.method == "GET":
                return _json(200, {"CompanyInfo": _company_info(company),
                                   "time": self.time_text()})
            entity = resolve_entity(head, in_query=False)
            if request.method == "GET" and len(parts) == 2:
                return _json(200, {entity: company.get(entity, parts[1]),
                                   "time": self.time_text()})
            if request.method == "POST" and len(parts) == 1:
                body = _json_body(request.body)
                operation = _operation(params)
                result = self._write(company, entity, operation, body)
                return _json(200, {entity: result, "time": self.time_text()})
            raise errors.unsupported(f"{request.method} {request.path} is not supported")

    def _write(self, company: Company, entity: str, operation: str,
               body: dict[str, Any]) -> dict[str, Any]:
        if operation == "delete":
            return company.delete(entity, body)
        if operation == "void":
            return company.void(entity, body)
        if operation in ("create", "update"):
            if body.get("Id") not in (None, "", 0, "0"):
                return company.update(entity, body)
            if operation == "update":
                raise errors.required("Id")
            return company.create(entity, body)
        raise errors.unsupported(f"operation {operation!r} is not supported")

    def _cdc(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        names = [n.strip() for n in params.get("entities", "").split(",") if n.strip()]
        if not names:
            raise errors.required("entities", "Required parameter entities is missing")
        since_text = params.get("changedSince", "")
        if not since_text:
            raise errors.required("changedSince", "Required parameter changedSince is missing")
        try:
            since = parse_time(since_text, self.clock.tz)
        except ValueError as error:
            raise errors.validation("2070", "Invalid Date",
                                    f"changedSince {since_text!r} is not an ISO 8601 time",
                                    "changedSince") from error
        if since < self.clock.now() - CDC_LOOKBACK:
            raise errors.validation("2010", "Request has invalid or unsupported property",
                                    f"changedSince {since_text} is more than 30 days ago: "
                                    "CDC looks back at most 30 days", "changedSince")
        answers: list[dict[str, Any]] = []
        for name in names:
            entity = resolve_entity(name, in_query=False)
            found = company.changed_since(entity, since.timestamp())[:CDC_MAX_PER_ENTITY]
            if found:
                answers.append({entity: found, "startPosition": 1, "maxResults": len(found)})
            else:
                answers.append({})
        return {"CDCResponse": [{"QueryResponse": answers}], "time": self.time_text()}

    def _batch(self, company: Company, raw: bytes) -> dict[str, Any]:
        body = _json_body(raw)
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise errors.required("BatchItemRequest")
        if len(items) > self.max_batch_items:
            raise errors.validation("6000", "A business validation error has occurred while "
                                    "processing your request",
                                    f"Business Validation Error: the batch has {len(items)} "
                                    f"items, more than the limit of {self.max_batch_items}",
                                    "BatchItemRequest")
        before = {e: [copy.deepcopy(o) for o in company.all(e)] for e in ENTITIES}
        out: list[dict[str, Any]] = []
        for item in items:
            if not isinstance(item, dict):
                raise errors.invalid_request("every BatchItemRequest item must be an object")
            bid = str(item.get("bId", ""))
            try:
                if "Query" in item:
                    answer = run_query(str(item["Query"]), lambda e: before[e])
                    out.append({"bId": bid, "QueryResponse": answer})
                    continue
                keys = [k for k in item if k in ENTITIES]
                if len(keys) != 1:
                    raise errors.invalid_request("a batch item needs one entity or a Query")
                entity = keys[0]
                operation = str(item.get("operation") or "create").lower()
                result = self._write(company, entity, operation, item[entity] or {})
                out.append({"bId": bid, entity: result})
            except QboFault as fault:
                out.append({"bId": bid, "Fault": fault.fault()})
        return {"BatchItemResponse": out, "time": self.time_text()}


def resolve_entity(name: str, in_query: bool = True) -> str:
    for entity in ENTITIES:
        if entity.lower() == name.strip().lower():
            return entity
    if in_query:
        raise errors.query_validation(f"Invalid context declaration : {name}")
    raise errors.unsupported(f"Unsupported Operation: {name} is not supported by the "
                             f"simulator (it serves {', '.join(ENTITIES)})")


def run_query(statement: str,
              objects_of: Callable[[str], list[dict[str, Any]]]) -> dict[str, Any]:
    parsed = query.parse(statement, resolve_entity)
    objects = objects_of(parsed.entity)
    if parsed.entity in NAME_LISTS and not query.mentions(parsed, "Active"):
        objects = [o for o in objects if o.get("Active", True)]
    page, total = query.run(parsed, objects)
    if parsed.count:
        return {"totalCount": total}
    if not page:
        return {}
    return {parsed.entity: page, "startPosition": parsed.start, "maxResults": len(page)}


def _operation(params: dict[str, str]) -> str:
    operation = params.get("operation", "create").lower()
    if operation == "update" and params.get("include", "").lower() == "void":
        return "void"
    return operation


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = loads(raw or b"{}")
    except ValueError as error:
        raise errors.validation("2010", "Request has invalid or unsupported property",
                                f"the request body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise errors.validation("2010", "Request has invalid or unsupported property",
                                "the request body must be a JSON object")
    return body


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OAuthError(401, "invalid_token", "AuthenticationFailed: no Bearer token")
    return token.strip()


def _basic(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(401, "invalid_client", "HTTP Basic client authentication is required")
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except ValueError as error:
        raise OAuthError(401, "invalid_client", "bad Basic header") from error
    return client_id, secret


def _company_info(company: Company) -> dict[str, Any]:
    return {"CompanyName": company.name, "LegalName": company.name, "Country": "US",
            "CompanyAddr": {"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo",
                            "CountrySubDivisionCode": "CA", "PostalCode": "87999"},
            "SupportedLanguages": "en", "domain": "QBO", "sparse": False,
            "Id": "1", "SyncToken": "1", "FiscalYearStartMonth": "January",
            "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
            "MetaData": {"CreateTime": company.clock.stamp(),
                         "LastUpdatedTime": company.clock.stamp()}}
