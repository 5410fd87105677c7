"""A QuickBooks sync SIGKILLed at random points (a real process, again and again: the
real python-quickbooks and intuit-oauth over HTTPS against the simulator, the refresh
token rotated at every refresh) ends with the store an uninterrupted sync gives:
nothing lost, nothing stored twice, and no person needed to sign in again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from plugins.quickbooks.simulator import QboSimulator, QboSimulatorServer, SimClock, seed
from plugins.quickbooks.simulator.clock import COMPANY_TZ
from tests.support.hub import write_config
from tests.support.kills import (
    KillPlan,
    another_store,
    assert_same_store,
    migrated,
    reference_run,
    store_state,
)
from tests.support.qbo import SECRET_KEY, config_body

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 20, 10, 15, tzinfo=COMPANY_TZ)


@pytest.fixture(scope="module")
def company() -> Iterator[QboSimulatorServer]:
    """A small company, only read (the reference and the killed syncs share it), on a
    frozen clock; every refresh answers a new refresh token, the one used still good for
    a day (Intuit's grace)."""
    sim = QboSimulator(clock=SimClock(frozen_at=NOW))
    seed(sim, customers=5, invoices=14, seed=8)
    sim.refresh_token_rotation = 0
    with QboSimulatorServer(sim) as server, pytest.MonkeyPatch.context() as env:
        env.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        env.setenv("BH_SECRET", SECRET_KEY)
        env.setenv("QBO_CLIENT_ID", server.client_id)
        env.setenv("QBO_CLIENT_SECRET", server.client_secret)
        yield server


def test_a_quickbooks_sync_killed_anywhere_ends_as_an_uninterrupted_one(
        company: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    plan = KillPlan.from_env()
    monkeypatch.setenv("QBO_REFRESH_TOKEN", company.connect())  # a connection per store
    body = config_body(company, page_size=3)
    with another_store(store_url, tmp_path) as ref_url:
        (tmp_path / "reference").mkdir()
        migrated(ref_url)
        reference = reference_run(write_config(tmp_path / "reference", ref_url, body),
                                  "sync", "--no-progress")
        expected = store_state(ref_url)

    monkeypatch.setenv("QBO_REFRESH_TOKEN", company.connect())
    (tmp_path / "killed").mkdir()
    migrated(store_url)
    plan.kill_repeatedly(write_config(tmp_path / "killed", store_url, body),
                         ["sync", "--no-progress"], reference,
                         # wrote: the token refresh answered, the new token not yet kept
                         ["sent", "answered", "wrote", "committing", "committed"])
    got = store_state(store_url)
    assert {entity for _, entity, _ in expected["records"]} >= {
        "customer", "invoice", "payment"}
    assert_same_store(got, expected, plan)
