"""The real python-quickbooks and intuit-oauth clients pointed at the simulator, and
the frozen time of the simulator's tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from intuitlib.client import AuthClient
from quickbooks import QuickBooks

from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.quickbooks.simulator.clock import COMPANY_TZ

NOW = datetime(2026, 11, 20, 10, 15, tzinfo=COMPANY_TZ)
"""The frozen time of the tests: 2026-11-20T10:15:00-08:00."""


def auth_client(server: QboSimulatorServer) -> AuthClient:
    return AuthClient(server.client_id, server.client_secret, server.redirect_uri,
                      environment=server.discovery_url)


def quickbooks(server: QboSimulatorServer, refresh_token: str | None = None,
               auth: AuthClient | None = None) -> Any:
    """The real client, pointed at the simulator by an instance attribute."""
    client = QuickBooks(auth_client=auth or auth_client(server),
                        refresh_token=refresh_token or server.connect(),
                        company_id=server.realm_id, minorversion=75)
    client.api_url_v3 = server.api_url
    return client
