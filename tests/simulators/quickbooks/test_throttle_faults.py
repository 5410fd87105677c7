"""Throttling (429, Fault 3001, sometimes XML), injected 500s, latency and the request log."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from quickbooks.exceptions import QuickbooksException, SevereException, ValidationException
from quickbooks.objects.invoice import Invoice

from plugins.quickbooks.simulator import Faults, Limits, QboSimulator, QboSimulatorServer


def test_per_minute_limit_throttles_with_3001(qb: Any, sim: QboSimulator) -> None:
    sim.limits = Limits(per_minute=3)
    for _ in range(3):
        Invoice.get(1, qb=qb)
    with pytest.raises(ValidationException) as error:
        Invoice.get(1, qb=qb)
    assert error.value.error_code == 3001
    assert "ThrottleExceeded" in error.value.message
    assert sim.count_requests("GET", r"/invoice/1$", 429) == 1
    assert sim.count_requests("GET", r"/invoice/1$", 200) == 3
    sim.limits = Limits()  # off again
    assert Invoice.get(1, qb=qb).Id == "1"


def test_per_second_limit(qb: Any, sim: QboSimulator) -> None:
    sim.limits = Limits(per_second=2)
    Invoice.get(1, qb=qb)
    Invoice.get(1, qb=qb)
    with pytest.raises(ValidationException):
        Invoice.get(1, qb=qb)


def test_some_429s_come_as_xml(qb: Any, sim: QboSimulator) -> None:
    sim.faults = Faults(throttle_xml=1.0)
    sim.script_fault("throttle", path=r"/invoice/")
    with pytest.raises(QuickbooksException) as error:
        Invoice.get(1, qb=qb)
    # python-quickbooks cannot read it: it reports a JSON error with the XML inside
    assert error.value.error_code == 10000
    assert '<Error code="3001">' in error.value.message


def test_concurrent_limit(server: QboSimulatorServer, qb: Any, sim: QboSimulator) -> None:
    sim.limits = Limits(concurrent=1)
    sim.faults = Faults(latency=0.4)
    token = qb.session.access_token
    url = f"{server.api_url}/company/{server.realm_id}/invoice/1"
    statuses: list[int] = []

    def call() -> None:
        answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429, 429]


def test_injected_server_error_is_a_system_fault(qb: Any, sim: QboSimulator) -> None:
    sim.faults = Faults(server_error=1.0)
    with pytest.raises(SevereException) as error:
        Invoice.get(1, qb=qb)
    assert error.value.error_code == 10000
    assert sim.count_requests(status=500) == 1
    sim.faults = Faults()
    assert Invoice.get(1, qb=qb).Id == "1"


def test_injected_throttle_share_is_reproducible(qb: Any, sim: QboSimulator) -> None:
    def run() -> list[bool]:
        sim.faults = Faults(throttle=0.5, seed=3)
        outcome = []
        for _ in range(12):
            try:
                Invoice.get(1, qb=qb)
                outcome.append(True)
            except ValidationException as error:
                assert error.error_code == 3001
                outcome.append(False)
        return outcome

    first = run()
    assert first == run()
    assert 0 < first.count(False) < 12
