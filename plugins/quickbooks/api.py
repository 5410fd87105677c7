"""QuickBooks Online through python-quickbooks: sign-in, our retries, our request budget.

python-quickbooks retries nothing and sets no timeout; this layer does both,
the retries through the hub's :class:`~hub.ApiCaller` (two budgets: per second
and per minute) as :meth:`QuickBooksApi._classify` reads QuickBooks' answers.
A request is tried again after a 429 (QuickBooks asks for a minute's pause,
and every later request of the connector waits too), a 5xx or a failed
connection; a 401 (the hour-long access token ran out) refreshes the tokens
once and tries again. Refreshes are made one at a time across every process
using the store, and each one's new refresh token is kept at once
(:mod:`plugins.quickbooks.tokens`). Amounts are read as ``Decimal``
(``use_decimal``), never as floats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from requests.adapters import HTTPAdapter

from hub import (
    ApiCaller,
    Backoff,
    CredentialVault,
    FatalError,
    GaveUp,
    Retry,
    Throttle,
    TransientError,
    treat_as_secret,
)
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.jsonwire import dumps
from plugins.quickbooks.tokens import TokenKeeper

T = TypeVar("T")
Obj = dict[str, Any]

BACKOFF = Backoff(first=0.5, most=16.0)
LOCK_WAIT = 30.0
"""Seconds to wait for another process's refresh, besides its request's own timeouts."""


class QuickBooksUnavailable(TransientError):
    """QuickBooks kept failing a request after every retry, or its sign-in service
    could not be reached."""


class QuickBooksRefused(FatalError):
    """QuickBooks refused the request: trying again will not help. ``code`` is its
    error code (``5010`` a stale SyncToken, ``6240`` a duplicate name ...), when it gave one."""

    code: int | None = None


class SignInRefused(QuickBooksRefused):
    """QuickBooks refused the refresh token: a person must connect the company again."""


class _SignInFailed(Exception):
    """The sign-in service failed in a way another try may mend (a 5xx, no connection)."""


class _TokenRenewed(Exception):
    """The access token ran out and was renewed: the request goes again."""


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout (python-quickbooks sets none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class QuickBooksApi:
    """One QuickBooks Online company, reached through python-quickbooks."""

    def __init__(self, config: QuickBooksConfig, vault: CredentialVault | None, *,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.config = config
        self.tokens = TokenKeeper(config.refresh_token, vault)
        self.throttle = Throttle(config.requests_per_second,
                                 burst=max(1, int(config.requests_per_second)))
        self.per_minute = Throttle(config.requests_per_minute / 60.0,
                                   burst=config.requests_per_minute)
        self.caller = ApiCaller(self._classify, max_attempts=config.max_attempts,
                                backoff=BACKOFF, budgets=[self.throttle, self.per_minute],
                                gave_up=self._gave_up, before=self._qb, sleep=sleep)
        self.requests = self.caller.requests
        self.retries = self.caller.retries
        self._auth: AuthClient | None = None
        self._client: QuickBooks | None = None
        self._status: int | None = None

    # ------------------------------------------------------------------ sign-in
    def _mount(self, session: requests.Session) -> None:
        adapter = _TimeoutAdapter(self.config.timeout_seconds)
        session.mount("https://", adapter)
        session.mount("http://", adapter)

    def _sign_in_client(self) -> AuthClient:
        if self._auth is None:
            c = self.config
            try:
                self._auth = AuthClient(c.client_id.get_secret_value(),
                                        c.client_secret.get_secret_value(), c.redirect_uri,
                                        c.environment)
            except (requests.RequestException, KeyError, ValueError) as exc:
                raise QuickBooksUnavailable(
                    f"could not reach QuickBooks' sign-in service ({type(exc).__name__})",
                    hint="check the network, and `environment` in the config") from None
            self._mount(self._auth)
        return self._auth

    def _refresh(self) -> None:
        """New tokens from QuickBooks, under the store's lock on the refresh token.

        Inside the lock the token is read from the store again (another process
        may have replaced it a moment ago) and the new one is kept before the lock
        is let go. A refused token is not the end while the store holds a newer
        one: that one is tried before the company is said to need connecting again.
        """
        auth = self._sign_in_client()
        wait = LOCK_WAIT + 3 * self.config.timeout_seconds
        with self.tokens.exclusive(timeout=wait):
            tried: set[str] = set()
            while True:
                token = self.tokens.current()
                if token in tried:
                    raise SignInRefused(
                        "QuickBooks refused the refresh token (it expired, was revoked, or a "
                        "newer one replaced it and was lost): the company must be connected "
                        "again",
                        hint="connect the company again and set the variable that "
                             "`refresh_token` names to the new refresh token")
                tried.add(token)
                try:
                    auth.refresh(refresh_token=token)
                except AuthClientError as exc:
                    if exc.status_code in (400, 401):
                        continue  # invalid_grant: is a newer one in the store?
                    raise _SignInFailed(f"sign-in answered {exc.status_code}") from None
                except requests.RequestException as exc:
                    raise _SignInFailed(f"sign-in failed ({type(exc).__name__})") from None
                break
            for value in (auth.access_token, auth.refresh_token):
                if value:
                    treat_as_secret(value)  # the OAuth libraries log tokens at DEBUG level
            self.tokens.keep(auth.refresh_token)
        self._client = None

    def _qb(self) -> QuickBooks:
        if self._client is None:
            if self._auth is None or self._auth.access_token is None:
                self._refresh()
            assert self._auth is not None
            c = self.config
            client = QuickBooks(auth_client=self._auth, refresh_token=self._auth.refresh_token,
                                company_id=c.realm_id, minorversion=c.minorversion,
                                use_decimal=True)
            if c.api_url:
                client.api_url_v3 = client.sandbox_api_url_v3 = c.api_url.rstrip("/")
            self._mount(client.session)
            client.session.hooks["response"].append(self._saw)
            self._client = client
        return self._client

    def _saw(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._status = response.status_code

    # ------------------------------------------------------------------ calling
    def _classify(self, exc: BaseException) -> Retry | None:
        """QuickBooks' failures for the :class:`~hub.ApiCaller`: a 429 (or fault 3001) waits
        ``throttled_wait_seconds``; a 5xx, a failed connection or sign-in, a renewed token
        go again after the backoff; anything else is QuickBooks' answer."""
        if isinstance(exc, requests.RequestException):
            return Retry(f"connection failed ({type(exc).__name__})")
        if isinstance(exc, _SignInFailed):
            return Retry(str(exc))
        if isinstance(exc, _TokenRenewed):
            return Retry("the access token ran out")
        if isinstance(exc, QuickbooksException):
            status = self._status  # of the answer that failed: set by the response hook
            if status == 429 or getattr(exc, "error_code", None) == 3001:
                return Retry("throttled (429)", after=self.config.throttled_wait_seconds)
            if status is not None and status >= 500:
                return Retry(f"QuickBooks answered {status}")
        return None

    def _gave_up(self, out: GaveUp) -> QuickBooksUnavailable:
        return QuickBooksUnavailable(
            f"QuickBooks did not answer {out.label} after {out.tries} tries ({out.reason})",
            hint="the next sync resumes from the last page stored; if it keeps "
                 "happening, lower `requests_per_second`")

    def call(self, label: str, request: Callable[[QuickBooks], T]) -> T:
        """``request(client)`` within the budgets, tried again while it may help.

        A 401 (the hour-long access token ran out) renews the tokens once per
        call. What QuickBooks refuses for good raises :class:`QuickBooksRefused`
        with its code; what kept failing, :class:`QuickBooksUnavailable`.
        """
        renewed = False

        def send() -> T:
            nonlocal renewed
            client = self._qb()
            self._status = None
            try:
                return request(client)
            except AuthorizationException:
                if self._status != 401 or renewed:
                    raise
                self._auth.access_token = None  # type: ignore[union-attr]
                self._client = None  # a refresh that fails here is made again by the next try
                self._refresh()
                renewed = True
                raise _TokenRenewed from None

        try:
            return self.caller.call(label, send)
        except QuickbooksException as exc:
            code = getattr(exc, "error_code", None)
            refused = QuickBooksRefused(
                f"QuickBooks refused to {label}: {exc.message} {exc.detail}".strip(),
                hint="see the message; `billing-hub status` shows the run")
            refused.code = code if isinstance(code, int) else None
            raise refused from None

    @property
    def total_requests(self) -> int:
        return self.caller.total_requests

    # ------------------------------------------------------------------ reading
    def query(self, statement: str) -> Obj:
        """The answer to one query statement (``{"QueryResponse": {...}}``)."""
        result: Obj = self.call("query", lambda qb: qb.query(statement))
        return result

    def changes(self, entities: list[str], since: str) -> Obj:
        """Change data capture: what changed (deletions too) since ``since`` (ISO 8601)."""
        result: Obj = self.call("read changes",
                                lambda qb: qb.change_data_capture(",".join(entities), since))
        return result

    def read(self, name: str, object_id: str) -> Obj:
        """One object by id (``GET /{entity}/{id}``)."""
        answer: Obj = self.call(f"read {name} {object_id}",
                                lambda qb: qb.get_single_object(name, object_id))
        found: Obj = answer[name]
        return found

    def write(self, name: str, body: Obj, request_id: str) -> Obj:
        """Create, or update when ``body`` has an Id and SyncToken, under ``requestid``.

        QuickBooks answers a repeat of ``request_id`` with its first answer, so a
        write sent again after a lost answer or a crash is not done twice.
        """
        text = dumps(body)
        answer: Obj = self.call(f"write {name}",
                                lambda qb: qb.create_object(name, text, request_id=request_id))
        found: Obj = answer[name]
        return found

    def send_invoice(self, invoice_id: str, send_to: str | None, request_id: str) -> Obj:
        """``POST /invoice/{id}/send[?sendTo=]`` under ``requestid``: QuickBooks e-mails the
        invoice and answers it with ``EmailStatus`` and ``DeliveryInfo``. python-quickbooks'
        own ``Invoice.send`` carries no ``requestid``, so its request layer is called here
        with one: a send asked again after a lost answer or a crash is answered with the
        first result instead of a second e-mail."""

        def request(qb: QuickBooks) -> Obj:
            url = f"{qb.api_url}/company/{qb.company_id}/invoice/{invoice_id}/send"
            params = {"sendTo": send_to} if send_to else {}
            found: Obj = qb.post(url, None, "application/octet-stream", params=params,
                                 request_id=request_id)
            return found

        answer = self.call(f"send invoice {invoice_id}", request)
        sent: Obj = answer["Invoice"]
        return sent

    def close(self) -> None:
        """Close the HTTP connections."""
        if self._client is not None and self._client.session is not None:
            self._client.session.close()
        if self._auth is not None:
            self._auth.close()
