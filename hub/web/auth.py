"""Who may use the coordinator's page: sign-in, the session cookie, CSRF tokens.

A coordinator signs in with their name and the shared password
(``[web] coordinator_password``); the name is who the audit log says acted.
The session lives in a cookie the server signs (HMAC-SHA256) and checks in
constant time: ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when configured. Its
key is derived from ``[web] session_secret`` (or ``[store] secret_key``) and
the password, so changing the password ends every sign-in.

Every form carries the session's CSRF token in a hidden field, compared in
constant time on each POST, the sign-in form included (its token lives in a
session without a name). Passwords are tried one at a time, a second apart,
however many are sent at once: a wrong one is answered a second after it was
tried, and a sign-in that would wait more than ten seconds for its turn is
refused untried. Passwords and keys are never logged nor echoed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "billing_hub_session"
SIGN_IN_MINUTES = 60
"""How long a sign-in form stays valid."""
MAX_FORM_BYTES = 64 * 1024
MAX_NAME = 64
FAILED_SIGN_IN_DELAY = 1.0
"""Seconds between two passwords tried, and before a wrong one's answer: guessing stays slow."""
SIGN_IN_QUEUE_SECONDS = 10.0
"""The longest a sign-in waits for its turn; past it the answer is 429, the password untried."""


@dataclass(slots=True, frozen=True)
class Session:
    """What the cookie holds: who signed in (``None``: nobody yet), the CSRF token, the end."""

    user: str | None
    csrf: str
    expires: int


def derive_key(password: SecretStr, secret: SecretStr | None) -> bytes:
    """The cookie-signing key: from ``secret`` and the password, or random for this process."""
    base = secret.get_secret_value().encode() if secret else secrets.token_bytes(32)
    return hmac.new(base, b"billing-hub coordinator session\x00"
                    + password.get_secret_value().encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Gate:
    """Signs sessions in and out and checks them on each request."""

    def __init__(self, password: SecretStr, key: bytes, *, secure: bool,
                 session_hours: int, failed_delay: float = FAILED_SIGN_IN_DELAY) -> None:
        self._password_digest = hashlib.sha256(password.get_secret_value().encode()).digest()
        self._key = key
        self.secure = secure
        self.session_seconds = session_hours * 3600
        self.failed_delay = failed_delay
        self.queue_seconds = SIGN_IN_QUEUE_SECONDS
        self._next_turn = 0.0

    def password_ok(self, given: str) -> bool:
        """Whether ``given`` is the password (compared in constant time, as digests)."""
        digest = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
        return hmac.compare_digest(digest, self._password_digest)

    async def try_password(self, given: str) -> bool | None:
        """Whether ``given`` is the password, tried in turn: ``None`` when too many wait.

        Each try takes the next turn, ``failed_delay`` after the one before, so
        guesses sent in parallel are tried one after the other and the right
        one is not answered before the wrong ones queued ahead of it.
        """
        now = time.monotonic()
        turn = max(now, self._next_turn)
        if turn - now > self.queue_seconds:
            return None
        self._next_turn = turn + self.failed_delay
        await asyncio.sleep(turn - now)
        if self.password_ok(given):
            return True
        await asyncio.sleep(self.failed_delay)
        return False

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def seal(self, session: Session) -> str:
        """The cookie value for ``session``: its data and their signature."""
        payload = _b64(orjson.dumps({"u": session.user, "c": session.csrf,
                                     "e": session.expires}))
        return f"{payload}.{self._sign(payload)}"

    def open(self, value: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie value, or ``None`` if it is absent, forged or over."""
        if not value or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            data: Any = orjson.loads(_unb64(payload))
            session = Session(data["u"], data["c"], data["e"])
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(session.expires, int) or not isinstance(session.csrf, str):
            return None
        if session.expires <= (time.time() if now is None else now):
            return None
        return session

    def session_of(self, request: Request) -> Session | None:
        """The request's valid session, signed in or not."""
        return self.open(request.cookies.get(COOKIE))

    def start(self, user: str | None) -> Session:
        """A new session (a fresh CSRF token) for ``user``, or a sign-in form's when ``None``."""
        lifetime = self.session_seconds if user is not None else SIGN_IN_MINUTES * 60
        return Session(user, secrets.token_urlsafe(32), int(time.time()) + lifetime)

    def set_cookie(self, response: Response, session: Session) -> None:
        """Put ``session`` in the response's cookie."""
        response.set_cookie(COOKIE, self.seal(session), max_age=session.expires - int(time.time()),
                            path="/", secure=self.secure, httponly=True, samesite="lax")

    def clear_cookie(self, response: Response) -> None:
        """Remove the session cookie (sign-out)."""
        response.delete_cookie(COOKIE, path="/", secure=self.secure, httponly=True,
                               samesite="lax")


def csrf_ok(session: Session, token: str | None) -> bool:
    """Whether a form's token is the session's (constant time)."""
    return token is not None and hmac.compare_digest(token.encode(), session.csrf.encode())


def clean_name(raw: str | None) -> str | None:
    """A person's name as the audit log keeps it, or ``None`` if it is not one."""
    name = " ".join((raw or "").split())
    if not name or len(name) > MAX_NAME:
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return None
    return name


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site (after sign-in), else ``/``: no open redirect."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(ch) < 32 for ch in target)):
        return "/"
    return target


class FormError(Exception):
    """The request's body is not a small urlencoded form."""


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body (first value of each).

    Starlette's own form parser needs python-multipart; these forms are small
    and urlencoded, which the standard library reads.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormError("send the form as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError("the form is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise FormError("the form could not be read") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


Endpoint = Callable[[Request], Awaitable[Response]]
