"""Fixtures for the QuickBooks simulator's tests: a seeded simulator on HTTPS and the
real python-quickbooks / intuit-oauth clients pointed at it (trusting the test CA
through REQUESTS_CA_BUNDLE; no mocks, no insecure transport)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from plugins.quickbooks.simulator import QboSimulator, QboSimulatorServer, SimClock, seed
from tests.simulators.quickbooks.clients import NOW, quickbooks


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


@pytest.fixture
def qb(server: QboSimulatorServer) -> Any:
    return quickbooks(server)
