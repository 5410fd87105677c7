"""OAuth through the real intuit-oauth client: discovery, code grant, rotation, 401."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.invoice import Invoice

from plugins.quickbooks.simulator import QboSimulator, QboSimulatorServer
from tests.simulators.quickbooks.clients import auth_client, quickbooks


def test_discovery_and_authorization_code_grant(server: QboSimulatorServer) -> None:
    auth = auth_client(server)
    assert auth.token_endpoint == f"{server.base_url}/oauth2/v1/tokens/bearer"
    assert auth.revoke_endpoint.startswith(server.base_url)
    url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="st4te")
    consent = requests.get(url, allow_redirects=False, timeout=10)
    assert consent.status_code == 302
    redirect = urlparse(consent.headers["Location"])
    answer = {k: v[0] for k, v in parse_qs(redirect.query).items()}
    assert answer["state"] == "st4te" and answer["realmId"] == server.realm_id
    auth.get_bearer_token(answer["code"], realm_id=answer["realmId"])
    assert auth.access_token and auth.refresh_token
    assert auth.expires_in == 3600
    assert auth.x_refresh_token_expires_in == 100 * 24 * 3600
    with pytest.raises(AuthClientError) as used_twice:
        auth.get_bearer_token(answer["code"])
    assert used_twice.value.status_code == 400


def test_as_intuit_documents_the_token_changes_once_a_day_and_the_old_one_lasts_a_day(
        server: QboSimulatorServer, sim: QboSimulator) -> None:
    first = server.connect()
    auth = auth_client(server)
    auth.refresh(refresh_token=first)
    assert auth.refresh_token == first  # younger than a day: the same token again
    sim.clock.advance(25 * 3600)
    auth.refresh(refresh_token=first)
    second = auth.refresh_token
    assert second != first  # a day old: replaced
    sim.clock.advance(23 * 3600)
    auth.refresh(refresh_token=first)  # the replaced one still works for a day ...
    assert auth.refresh_token == second  # ... and answers with the newest
    sim.clock.advance(3600)
    with pytest.raises(AuthClientError) as refused:
        auth.refresh(refresh_token=first)
    assert refused.value.response.json() == {"error": "invalid_grant"}
    auth.refresh(refresh_token=second)  # a day old by now: it is replaced in turn
    assert auth.refresh_token not in (first, second)


def test_refresh_rotates_and_the_old_token_is_refused(server: QboSimulatorServer,
                                                      sim: QboSimulator) -> None:
    sim.rotate_every_refresh()  # the strictest server
    first = server.connect()
    auth = auth_client(server)
    auth.refresh(refresh_token=first)
    second = auth.refresh_token
    assert second != first
    with pytest.raises(AuthClientError) as refused:
        auth.refresh(refresh_token=first)
    assert refused.value.status_code == 400
    assert refused.value.response.json() == {"error": "invalid_grant"}
    auth.refresh(refresh_token=second)
    assert auth.refresh_token not in (first, second)


def test_refresh_grace_keeps_a_rotated_token_working_for_a_while(
        server: QboSimulatorServer, sim: QboSimulator) -> None:
    sim.refresh_token_rotation, sim.refresh_token_grace = 0, 60
    first = server.connect()
    auth = auth_client(server)
    auth.refresh(refresh_token=first)
    second = auth.refresh_token
    sim.clock.advance(30)
    auth.refresh(refresh_token=first)  # inside the grace
    assert auth.refresh_token == second
    sim.clock.advance(31)
    with pytest.raises(AuthClientError):
        auth.refresh(refresh_token=first)


def test_wrong_client_secret_is_invalid_client(server: QboSimulatorServer) -> None:
    auth = auth_client(server)
    auth.client_secret = "wrong"
    with pytest.raises(AuthClientError) as refused:
        auth.refresh(refresh_token=server.connect())
    assert refused.value.status_code == 401
    assert refused.value.response.json()["error"] == "invalid_client"


def test_expired_access_token_is_401_then_a_refresh_recovers(
        server: QboSimulatorServer, sim: QboSimulator) -> None:
    sim.rotate_every_refresh()
    auth = auth_client(server)
    qb = quickbooks(server, auth=auth)
    assert Invoice.get(1, qb=qb).Id == "1"
    sim.clock.advance(3601)
    with pytest.raises(AuthorizationException) as expired:
        Invoice.get(1, qb=qb)
    assert expired.value.error_code == 401
    assert '"AuthenticationFault"' in expired.value.detail
    used = auth.refresh_token
    auth.refresh()  # what the connector does on 401: refresh, keep the new refresh token
    assert auth.refresh_token != used
    fresh = quickbooks(server, refresh_token=auth.refresh_token, auth=auth)
    assert Invoice.get(1, qb=fresh).Id == "1"
    with pytest.raises(AuthClientError):
        auth_client(server).refresh(refresh_token=used)


def test_access_token_lifetime_is_a_knob(server: QboSimulatorServer, sim: QboSimulator) -> None:
    sim.access_token_lifetime = 10
    auth = auth_client(server)
    auth.refresh(refresh_token=server.connect())
    assert auth.expires_in == 10


def test_revoke_ends_the_grant(server: QboSimulatorServer) -> None:
    auth = auth_client(server)
    qb = quickbooks(server, auth=auth)
    assert auth.revoke(token=auth.refresh_token) is True
    with pytest.raises(AuthorizationException):
        Invoice.get(1, qb=qb)
    with pytest.raises(AuthClientError):
        auth.refresh()


def test_api_without_bearer_is_401(server: QboSimulatorServer) -> None:
    answer = requests.get(f"{server.api_url}/company/{server.realm_id}/invoice/1", timeout=10)
    assert answer.status_code == 401
    assert answer.json()["Fault"]["type"] == "AuthenticationFault"


def test_a_connection_ends_five_years_after_the_consent(server: QboSimulatorServer,
                                                        sim: QboSimulator) -> None:
    auth = auth_client(server)
    auth.refresh(refresh_token=server.connect())
    day = 24 * 3600
    for _ in range(19):  # refreshed every 96 days: each refresh token is used in time
        sim.clock.advance(96 * day)
        auth.refresh()
    # 1824 days after the consent: one day of the grant's 5 years is left
    assert auth.x_refresh_token_expires_in == 5 * 365 * day - 1824 * day
    sim.clock.advance(day)
    with pytest.raises(AuthClientError) as ended:
        auth.refresh()
    assert ended.value.response.json() == {"error": "invalid_grant"}
