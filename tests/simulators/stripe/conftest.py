"""Fixtures for the Stripe simulator's tests: a simulator, its HTTP server and a
real ``stripe`` client pointed at it, each stopped and joined after the test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from plugins.stripe.simulator import SimClock, Simulator, SimulatorServer
from tests.simulators.stripe.frozen import NOW


@pytest.fixture
def sim() -> Simulator:
    return Simulator(seed=7, clock=SimClock(frozen_at=NOW))


@pytest.fixture
def server(sim: Simulator) -> Iterator[SimulatorServer]:
    before = set(threading.enumerate())
    with SimulatorServer(sim) as running:
        yield running
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture
def client(server: SimulatorServer) -> Any:
    """A stripe.StripeClient that does not retry by itself (tests see every answer)."""
    return server.client(max_network_retries=0)
