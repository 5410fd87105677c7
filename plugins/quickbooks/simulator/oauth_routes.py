"""Intuit's OAuth 2.0 and OpenID Connect routes: the discovery document,
consent (``/oauth2/v1/authorize``), tokens (``bearer``, ``revoke``), keys
and userinfo.

:class:`~.oauth.OAuthServer` keeps the grants and tokens; this module reads
the requests and writes the answers.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from plugins.quickbooks.simulator.messages import Request, Response, json_response
from plugins.quickbooks.simulator.oauth import OAuthError
from plugins.quickbooks.simulator.wire import loads

if TYPE_CHECKING:
    from plugins.quickbooks.simulator.app import QboSimulator

DISCOVERY_PATH = "/.well-known/openid_configuration/"


def discovery(request: Request) -> Response:
    base = f"https://{request.headers.get('host', '127.0.0.1')}"
    return json_response(200, {
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


def handle(sim: QboSimulator, request: Request, params: dict[str, str]) -> Response:
    """The answer to an OAuth or OpenID request; the caller holds the simulator's lock."""
    now = sim.clock.timestamp()
    path = request.path.rstrip("/")
    if path == "/oauth2/v1/authorize" and request.method == "GET":
        realm = params.get("realmId") or sim.realm_id
        code = sim.oauth.authorize(realm, params.get("client_id", ""),
                                   params.get("redirect_uri", ""), now)
        location = params["redirect_uri"] + "?" + urlencode(
            {"code": code, "state": params.get("state", ""), "realmId": realm})
        return Response(302, b"", {"Location": location})
    if path == "/oauth2/v1/keys":
        return json_response(200, {"keys": []})
    if path == "/v1/openid_connect/userinfo":
        realm = sim.oauth.realm_of(bearer(request), now)
        return json_response(200, {"sub": f"simulated-user-{realm}", "email": "owner@example.com",
                                   "emailVerified": True, "givenName": "Sim",
                                   "familyName": "Owner"})
    if request.method != "POST":
        return json_response(405, {"error": "method not allowed"})
    sim.oauth.check_client(*_basic(request))
    if path == "/oauth2/v1/tokens/revoke":
        try:
            token = str(loads(request.body or b"{}").get("token", ""))
        except ValueError as error:
            raise OAuthError(400, "invalid_request", "the body is not JSON") from error
        sim.oauth.revoke(token)
        return Response(200, b"", {"Content-Type": "application/json"})
    if path != "/oauth2/v1/tokens/bearer":
        return json_response(404, {"error": "not found"})
    form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
    grant = form.get("grant_type")
    if grant == "authorization_code":
        tokens = sim.oauth.exchange(form.get("code", ""), form.get("redirect_uri", ""), now)
    elif grant == "refresh_token":
        tokens = sim.oauth.refresh(form.get("refresh_token", ""), now)
    else:
        raise OAuthError(400, "unsupported_grant_type", str(grant))
    return json_response(200, tokens.answer())


def bearer(request: Request) -> str:
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
