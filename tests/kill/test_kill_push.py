"""``billing-hub push send`` SIGKILLed at random points (a real process, again and again:
after a request left, after Stripe or QuickBooks answered a write and before the
outbox knows, around each commit) ends with the store and the service an uninterrupted
send gives: every customer and invoice created once, none lost.

Each run mirrors the same ledger (a CSV connector) into a simulator of its own: one
send nobody killed, one killed again and again; the services' states are compared by
what they hold (their ids aside, which are theirs to choose)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.cli import exits
from hub.cli.app import run
from plugins.quickbooks.simulator import QboSimulator, QboSimulatorServer, SimClock
from plugins.quickbooks.simulator.clock import COMPANY_TZ
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer
from plugins.stripe.simulator import SimClock as StripeClock
from tests.support.hub import write_config
from tests.support.kills import (
    KillPlan,
    another_store,
    assert_same_store,
    migrated,
    reference_run,
    store_state,
)
from tests.support.qbo import SECRET_KEY, section

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 20, 10, 15, tzinfo=COMPANY_TZ)
CUSTOMERS = 4
INVOICES = 8
LEDGER = """
[connectors.ledger]
type = "csv"

[[connectors.ledger.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["Customer ID"]
columns = {{ name = "Customer", email = "Email" }}

[[connectors.ledger.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "iso"
[connectors.ledger.files.columns]
number = "No"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"

{target}

[[push.mirrors]]
from = "ledger"
to = "{name}"
entities = ["customer", "invoice"]
"""
SEND = ["push", "send", "--no-progress", "--unapproved"]


def _write_ledger(folder: Path) -> None:
    (folder / "customers.csv").write_text("Customer ID,Customer,Email\n" + "".join(
        f"C-{i},Customer {i} Ltd,ap{i}@example.com\n" for i in range(1, CUSTOMERS + 1)),
        encoding="utf-8")
    (folder / "invoices.csv").write_text("No,Customer,Date,Due,Cur,Total,Open,Status\n" + "".join(
        f"INV-{i},Customer {1 + i % CUSTOMERS} Ltd,2026-11-{i:02d},2026-12-{i:02d},USD,"
        f"{100 + i}.25,{'0.00' if i % 3 == 0 else f'{100 + i}.25'},"
        f"{'paid' if i % 3 == 0 else 'open'}\n" for i in range(1, INVOICES + 1)),
        encoding="utf-8")


@dataclass
class Target:
    """A service pushed to: its section of the config, and what it holds, its ids aside."""

    name: str
    section: str
    held: Callable[[], dict[str, Any]]
    names: Callable[[], dict[str, str]]


def _stripe() -> Iterator[Target]:
    sim = Simulator(seed=23, clock=StripeClock(frozen_at=int(NOW.timestamp())))
    with SimulatorServer(sim) as server:
        def held() -> dict[str, Any]:
            customers = {c.id: c.metadata["hub_external_id"] for c in sim.store.customers.values()}
            invoices = sorted(
                (i.metadata["hub_external_id"], customers[i.customer], i.currency, i.total,
                 i.status, i.paid_out_of_band, [(x.description, x.amount) for x in i.lines])
                for i in sim.store.invoices.values())
            return {"customers": sorted(customers.values()), "invoices": invoices,
                    "invoice items": len(sim.store.invoiceitems)}

        def names() -> dict[str, str]:
            found = {c.id: f"<customer {c.metadata['hub_external_id']}>"
                     for c in sim.store.customers.values()}
            found.update({c.invoice_prefix: f"<prefix {c.metadata['hub_external_id']}>"
                          for c in sim.store.customers.values()})
            for inv in sim.store.invoices.values():
                ext = inv.metadata["hub_external_id"]
                found[inv.id] = f"<invoice {ext}>"
                for k, line in enumerate(inv.lines):
                    found[line.id] = f"<line {ext}.{k}>"
                    found[line.invoice_item] = f"<item {ext}.{k}>"
            return found

        yield Target("stripe", f"""
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{server.url}"
requests_per_second = 1000
""", held, names)


def _quickbooks() -> Iterator[Target]:
    sim = QboSimulator(clock=SimClock(frozen_at=NOW))
    sim.refresh_token_rotation = 0
    sim.create("Item", {"Name": "Services", "Type": "Service"})
    with QboSimulatorServer(sim) as server, pytest.MonkeyPatch.context() as env:
        env.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        env.setenv("QBO_CLIENT_ID", server.client_id)
        env.setenv("QBO_CLIENT_SECRET", server.client_secret)
        env.setenv("QBO_REFRESH_TOKEN", server.connect())

        def held() -> dict[str, Any]:
            return {entity: sorted((o for o in sim.all(entity)), key=lambda o: o["Id"])
                    for entity in ("Customer", "Invoice", "Payment")}

        yield Target("books", section(server, push_item='"Services"'), held, dict)


TARGETS: dict[str, Callable[[], Iterator[Target]]] = {"stripe": _stripe,
                                                      "quickbooks": _quickbooks}


@contextmanager
def _prepared(kind: str, folder: Path, url: str) -> Iterator[tuple[Target, Path]]:
    """A simulator of its own, a ledger synced into the store at ``url`` and its
    customers and invoices queued for the simulator; the config's path."""
    with contextmanager(TARGETS[kind])() as target:
        folder.mkdir()
        _write_ledger(folder)
        config = write_config(folder, url, 'secret_key = "env:BH_SECRET"\n' + LEDGER.format(
            target=target.section, name=target.name))
        migrated(url)
        assert run(["--config", str(config), "sync", "ledger", "--no-progress"]) == exits.OK
        assert run(["--config", str(config), "push", "queue"]) == exits.OK
        yield target, config


@pytest.mark.parametrize("kind", list(TARGETS))
def test_a_push_killed_anywhere_creates_everything_once(
        kind: str, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("BH_SECRET", SECRET_KEY)
    plan = KillPlan.from_env()
    with another_store(store_url, tmp_path) as ref_url, \
            _prepared(kind, tmp_path / "reference", ref_url) as (target, config):
        reference = reference_run(config, *SEND)
        expected_held = target.held()
        expected = store_state(ref_url, target.names())

    with _prepared(kind, tmp_path / "killed", store_url) as (target, config):
        plan.kill_repeatedly(config, SEND, reference,
                             ["sent", "answered", "wrote", "committing", "committed"])
        held = target.held()
        got = store_state(store_url, target.names())
    assert held == expected_held, plan.why()
    assert_same_store(got, expected, plan)
