"""Intuit's OAuth 2.0 server as the simulator plays it: codes, access and refresh tokens.

- an authorization code is good once, for 5 minutes;
- an access token lives ``access_token_lifetime`` seconds (3600);
- a refresh token lives 100 days, counted again from each refresh it makes;
- as Intuit documents (see README.md, "Refresh tokens"), the refresh token's
  value changes about once a day: a refresh with a token younger than
  ``refresh_token_rotation`` seconds (24 h) answers the same refresh token;
  an older one is replaced by a new one, and the replaced one keeps working
  for ``refresh_token_grace`` seconds (24 h), answering with the newest token
  of its connection, then ``invalid_grant``. ``rotate_every_refresh()`` is
  the strictest server: a new token at every refresh, the old one refused at
  once;
- however often it is refreshed, a connection (grant) ends 5 years after the
  consent: refresh tokens never outlive it (``x_refresh_token_expires_in``
  counts down to it), and then the company must be connected again;
- revoking any token of a grant revokes the whole grant (all its tokens).

Times follow the simulator's clock, so ``clock.advance(3601)`` expires an
access token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

CODE_LIFETIME = 300
DAY = 24 * 3600
REFRESH_TOKEN_LIFETIME = 100 * 24 * 3600
GRANT_LIFETIME = 5 * 365 * 24 * 3600
"""Intuit's hard maximum life of a connection, counted from the consent."""


class OAuthError(Exception):
    """An OAuth error answer: ``{"error": code}`` with an HTTP status."""

    def __init__(self, status: int, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}")
        self.status = status
        self.code = code
        self.description = description


@dataclass
class _Grant:
    realm_id: str
    client_id: str
    ends_at: float
    revoked: bool = False
    newest: str = ""
    """The refresh token the connection answers with now."""


@dataclass
class _RefreshToken:
    grant: _Grant
    issued_at: float
    expires_at: float
    retired_at: float | None = None


@dataclass
class _AccessToken:
    grant: _Grant
    expires_at: float


@dataclass
class _Code:
    realm_id: str
    client_id: str
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    x_refresh_token_expires_in: int

    def answer(self) -> dict[str, object]:
        return {"token_type": "bearer", "access_token": self.access_token,
                "refresh_token": self.refresh_token, "expires_in": self.expires_in,
                "x_refresh_token_expires_in": self.x_refresh_token_expires_in}


class OAuthServer:
    """Token state; not locked by itself (the simulator's lock covers it)."""

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.access_token_lifetime = 3600
        self.refresh_token_rotation = float(DAY)
        self.refresh_token_grace = float(DAY)
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._access: dict[str, _AccessToken] = {}

    def check_client(self, client_id: str, client_secret: str) -> None:
        if not (secrets.compare_digest(client_id, self.client_id)
                and secrets.compare_digest(client_secret, self.client_secret)):
            raise OAuthError(401, "invalid_client", "client authentication failed")

    def authorize(self, realm_id: str, client_id: str, redirect_uri: str, now: float) -> str:
        """The code a completed consent sends to the redirect URI."""
        if client_id != self.client_id:
            raise OAuthError(400, "invalid_client", "unknown client_id")
        if redirect_uri != self.redirect_uri:
            raise OAuthError(400, "invalid_request", "redirect_uri is not registered")
        code = "AB11" + secrets.token_urlsafe(24)
        self._codes[code] = _Code(realm_id, client_id, redirect_uri, now + CODE_LIFETIME)
        return code

    def exchange(self, code: str, redirect_uri: str, now: float) -> TokenSet:
        held = self._codes.get(code)
        if held is None or held.used or held.expires_at <= now:
            raise OAuthError(400, "invalid_grant", "the authorization code is unknown, used "
                             "or expired")
        if redirect_uri != held.redirect_uri:
            raise OAuthError(400, "invalid_grant", "redirect_uri does not match")
        held.used = True
        return self._issue(_Grant(held.realm_id, held.client_id, now + GRANT_LIFETIME), now)

    def rotate_every_refresh(self) -> None:
        """The strictest server: every refresh answers a new refresh token, and the one
        used is refused from then on."""
        self.refresh_token_rotation = 0.0
        self.refresh_token_grace = 0.0

    def refresh(self, refresh_token: str, now: float) -> TokenSet:
        held = self._refresh.get(refresh_token)
        if (held is None or held.grant.revoked or held.expires_at <= now
                or (held.retired_at is not None
                    and now >= held.retired_at + self.refresh_token_grace)):
            raise OAuthError(400, "invalid_grant", "Incorrect or invalid refresh token")
        grant = held.grant
        if held.retired_at is not None:  # replaced, still in its grace: the newest answers
            return self._answer(grant, grant.newest, now)
        if 0 < self.refresh_token_rotation > now - held.issued_at:  # the same token, again
            held.expires_at = min(now + REFRESH_TOKEN_LIFETIME, grant.ends_at)
            return self._answer(grant, refresh_token, now)
        held.retired_at = now
        return self._issue(grant, now)

    def revoke(self, token: str) -> None:
        held = self._refresh.get(token) or self._access.get(token)
        if held is not None:
            held.grant.revoked = True

    def realm_of(self, access_token: str, now: float) -> str:
        """The realm an access token opens; ``OAuthError`` 401 when it is not valid."""
        held = self._access.get(access_token)
        if held is None or held.grant.revoked:
            raise OAuthError(401, "invalid_token", "AuthenticationFailed: the access token is "
                             "unknown or revoked")
        if held.expires_at <= now:
            raise OAuthError(401, "invalid_token", "Token expired: the access token expired "
                             f"{int(now - held.expires_at)} s ago")
        return held.grant.realm_id

    def _issue(self, grant: _Grant, now: float) -> TokenSet:
        """A new refresh token (the connection's newest from now on) and access token."""
        refresh = "RT1-" + secrets.token_urlsafe(36)
        self._refresh[refresh] = _RefreshToken(
            grant, now, min(now + REFRESH_TOKEN_LIFETIME, grant.ends_at))
        grant.newest = refresh
        return self._answer(grant, refresh, now)

    def _answer(self, grant: _Grant, refresh: str, now: float) -> TokenSet:
        """A new access token, answered with the refresh token ``refresh``."""
        access = "eyJ" + secrets.token_urlsafe(48)
        lifetime = int(self.access_token_lifetime)
        self._access[access] = _AccessToken(grant, now + lifetime)
        refresh_ends = self._refresh[refresh].expires_at
        return TokenSet(access, refresh, lifetime, int(refresh_ends - now))
