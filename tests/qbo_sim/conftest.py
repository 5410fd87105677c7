"""Fixtures for the QuickBooks simulator's tests: a seeded simulator on HTTPS and the
real python-quickbooks / intuit-oauth clients pointed at it (trusting the test CA
through REQUESTS_CA_BUNDLE; no mocks, no insecure transport)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks

from plugins.quickbooks.simulator import QboSimulator, QboSimulatorServer, SimClock, seed
from plugins.quickbooks.simulator.clock import COMPANY_TZ

NOW = datetime(2026, 11, 20, 10, 15, tzinfo=COMPANY_TZ)
"""The frozen time of the tests: 2026-11-20T10:15:00-08:00."""


@pytest.fixture
def sim() -> QboSimulator:
    simulator = QboSimulator(clock=SimClock(frozen_at=NOW))
    seed(simulator, customers=20, invoices=60, seed=1)
    return simulator


@pytest.fixture
def server(sim: QboSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSimulatorServer]:
    before = set(threading.enumerate())
    with QboSimulatorServer(sim) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", running.ca_bundle)
        yield running
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


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


@pytest.fixture
def qb(server: QboSimulatorServer) -> Any:
    return quickbooks(server)
