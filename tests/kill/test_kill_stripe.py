"""A Stripe sync SIGKILLed at random points (a real process, again and again, the real
``stripe`` SDK over HTTP against the simulator) ends with the store an uninterrupted
sync gives: nothing lost, nothing stored twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.stripe.simulator import (
    DEFAULT_API_KEY,
    CompanyPlan,
    Simulator,
    SimulatorServer,
    seed_company,
)
from tests.support.hub import write_config
from tests.support.kills import (
    KillPlan,
    another_store,
    assert_same_store,
    migrated,
    reference_run,
    store_state,
)

pytestmark = pytest.mark.slow

BODY = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
page_size = 2
requests_per_second = 1000
"""


@pytest.fixture(scope="module")
def account() -> Iterator[SimulatorServer]:
    """A small Stripe account, only read (the reference and the killed syncs share it)."""
    sim = Simulator(seed=17)
    seed_company(sim, CompanyPlan(customers=4, invoices=12, days=20, long_invoices=0,
                                  payments_without_invoice=2, seed=4))
    with SimulatorServer(sim) as server:
        yield server


def test_a_stripe_sync_killed_anywhere_ends_as_an_uninterrupted_one(
        account: SimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    plan = KillPlan.from_env()
    body = BODY.format(url=account.url)
    with another_store(store_url, tmp_path) as ref_url:
        (tmp_path / "reference").mkdir()
        migrated(ref_url)
        reference = reference_run(write_config(tmp_path / "reference", ref_url, body),
                                  "sync", "--no-progress")
        expected = store_state(ref_url)

    (tmp_path / "killed").mkdir()
    migrated(store_url)
    plan.kill_repeatedly(write_config(tmp_path / "killed", store_url, body),
                         ["sync", "--no-progress"], reference,
                         ["sent", "answered", "committing", "committed"])
    got = store_state(store_url)
    assert {entity for _, entity, _ in expected["records"]} >= {
        "customer", "invoice", "payment"}
    assert_same_store(got, expected, plan)
