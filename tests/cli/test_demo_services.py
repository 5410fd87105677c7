"""Plugins offer local fakes to the demo through ``hub_demo_services``; a pair of
systems can expect invoices in one direction only (``require_counterpart``)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hub.contract.demo import DemoService
from hub.contract.hookspecs import hookimpl
from hub.plugins import demo_services, load_plugins
from hub.reconcile import lifecycle
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import PairSettings, ReconcileSettings
from tests.support.hub import hub

BODY = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "books.csv"
entity = "invoice"
date_format = "iso"
columns = { number = "No", customer_name = "Customer", issue_date = "Date", currency = "Cur", total = "Total" }

[connectors.shop]
type = "csv"
[[connectors.shop.files]]
path = "shop.csv"
entity = "invoice"
date_format = "iso"
columns = { number = "No", customer_name = "Customer", issue_date = "Date", currency = "Cur", total = "Total" }
"""  # noqa: E501
HEAD = "No,Customer,Date,Cur,Total\n"


class _Broken:
    @hookimpl
    def hub_demo_services(self) -> list[DemoService]:
        raise RuntimeError("the fake would not start")


def test_stripe_offers_its_simulator_and_a_broken_plugin_is_left_out(
        caplog: pytest.LogCaptureFixture) -> None:
    registry = load_plugins()
    registry.manager.register(_Broken(), name="broken-demo")
    with caplog.at_level(logging.ERROR):
        offered = demo_services(registry)
    assert [(s.instance, s.connector_type) for s in offered] == [("stripe", "stripe")]
    assert "broken-demo failed in hub_demo_services" in caplog.text


def test_the_stripe_demo_account_is_the_same_every_time() -> None:
    service = demo_services(load_plugins())[0]
    seen = []
    for _ in range(2):
        options = service.start()
        try:
            import stripe

            client = stripe.StripeClient(options["api_key"].get_secret_value(),
                                         base_addresses={"api": options["api_base"]})
            invoices = client.v1.invoices.list({"limit": 10})
            seen.append(sorted((i.id, i.number, i.total, i.status, i.created)
                               for i in invoices.data))
        finally:
            service.stop()
    assert seen[0] == seen[1] and len(seen[0]) == 3
    assert {status for *_, status, _ in seen[0]} == {"paid", "open"}


@pytest.mark.parametrize(("direction", "expected"), [
    ("both", {"books:INV-2", "shop:INV-9"}),
    ("left", {"shop:INV-9"}),
    ("right", {"books:INV-2"}),
    ("none", set()),
])
def test_a_pair_flags_missing_invoices_only_in_the_direction_asked(
        tmp_path: Path, store_url: str, direction: str, expected: set[str]) -> None:
    (tmp_path / "books.csv").write_text(HEAD + "INV-1,Acme,2026-03-01,USD,100.00\n"
                                        "INV-2,Globex,2026-03-02,USD,200.00\n", "utf-8")
    (tmp_path / "shop.csv").write_text(HEAD + "INV-1,Acme,2026-03-01,USD,100.00\n"
                                       "INV-9,Soylent,2026-03-05,USD,42.00\n", "utf-8")
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync.sync("books")
        sync.sync("shop")
        settings = ReconcileSettings.of(config)
        settings.pairs = [PairSettings(left="shop", right="books",
                                       require_counterpart=direction)]  # type: ignore[arg-type]
        reconcile(engine, settings)
        with engine.connect() as conn:
            found = {f"{f.details['record'].split(':')[0]}:{f.explanation.split()[2]}"
                     for f in lifecycle.select(conn) if f.kind == "missing_in_other_system"}
    assert found == expected
