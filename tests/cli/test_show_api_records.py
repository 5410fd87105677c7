"""``billing-hub show`` for records read from an API, through the CLI against the Stripe
and QuickBooks simulators, on both stores: where each record was read (the API address and
the service's own dashboard link), the source's own time, and re-syncs that change nothing
(or only where the record is read from) write nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.cli import exits
from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.stripe.simulator import (
    DEFAULT_API_KEY,
    CompanyPlan,
    Simulator,
    SimulatorServer,
    seed_company,
)
from tests.support.hub import cli, write_config
from tests.support.qbo import config_body, seeded_company

STRIPE = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000
"""


@pytest.fixture
def stripe_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Simulator, SimulatorServer]]:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    sim = Simulator(seed=7)
    seed_company(sim, CompanyPlan(customers=3, invoices=10, days=30, seed=4))
    with SimulatorServer(sim) as server:
        yield sim, server


def _shown(capsys: pytest.CaptureFixture[str], name: str) -> dict[str, Any]:
    code, out, err = cli(capsys, "show", name, "-f", "json")
    assert code == exits.OK, err
    found: dict[str, Any] = json.loads(out)
    return found


def _sync(capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    code, _, err = cli(capsys, "sync", "--no-progress", *extra)
    assert code == exits.OK, err


def _sync_writes_nothing(capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    """Sync; no entity's row of the summary counts a new or updated record."""
    code, out, err = cli(capsys, "sync", "--no-progress", *extra)
    assert code == exits.OK, err
    rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in out.splitlines()
            if ln.startswith("│")]
    assert rows and all(r[2:4] == ["0", "0"] for r in rows), out


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _list(sim: Simulator, resource: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = sim.api("GET", f"/v1/{resource}", {"limit": 100})["data"]
    return found


@pytest.mark.usefixtures("wide_console")
def test_stripe_records_show_their_api_address_dashboard_link_and_stripe_time(
        stripe_sim: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    sim, server = stripe_sim
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, store_url, STRIPE.format(url=server.url))
    _sync(capsys)
    paid = next(i for i in _list(sim, "invoices")
                if i["status"] == "paid" and i["status_transitions"]["paid_at"])
    shown = _shown(capsys, f"stripe:invoice:{paid['id']}")
    assert shown["location"] == f"{server.url}/v1/invoices/{paid['id']}"
    assert shown["open_at"] == [f"https://dashboard.stripe.com/test/invoices/{paid['id']}"]
    newest = max(v for v in [paid["created"], *paid["status_transitions"].values()] if v)
    assert newest > paid["created"]  # paid after it was made: the transition's time counts
    assert shown["source_modified"] == _stamp(newest)
    assert shown["history"][0]["source_time"] == _stamp(newest)
    assert DEFAULT_API_KEY not in json.dumps(shown)

    charge = next(c for c in _list(sim, "charges") if c["captured"])
    payment = _shown(capsys, f"stripe:payment:{charge['id']}")
    assert payment["location"] == f"{server.url}/v1/charges/{charge['id']}"
    assert payment["open_at"] == [f"https://dashboard.stripe.com/test/payments/{charge['id']}"]
    assert payment["source_modified"] == _stamp(charge["created"])

    for entity, resource, obj in (("customer", "customers", _list(sim, "customers")[0]),
                                  ("payout", "payouts", _list(sim, "payouts")[0])):
        other = _shown(capsys, f"stripe:{entity}:{obj['id']}")
        assert other["location"] == f"{server.url}/v1/{resource}/{obj['id']}"
        assert other["open_at"] == [f"https://dashboard.stripe.com/test/{resource}/{obj['id']}"]
    notes = _list(sim, "credit_notes")
    assert notes
    for note in notes:  # no dashboard page of their own
        shown_note = _shown(capsys, f"stripe:credit_note:{note['id']}")
        assert shown_note["open_at"] == []
        assert shown_note["source_modified"] == _stamp(max(note["created"],
                                                            note["voided_at"] or 0))

    code, text, _ = cli(capsys, "show", f"stripe:invoice:{paid['id']}")
    assert code == exits.OK
    assert f"location: {server.url}/v1/invoices/{paid['id']}" in text
    assert f"open at:  https://dashboard.stripe.com/test/invoices/{paid['id']}" in text

    # nothing changed at Stripe: neither the next sync (events) nor a full re-read writes
    for again in ((), ("--full",)):
        _sync_writes_nothing(capsys, *again)
        assert _shown(capsys, f"stripe:invoice:{paid['id']}") == shown
    # read from another address of the same account: the location follows, nothing else
    moved_url = server.url.replace("127.0.0.1", "localhost")
    write_config(tmp_path, store_url, STRIPE.format(url=moved_url))
    _sync_writes_nothing(capsys, "--full")
    moved = _shown(capsys, f"stripe:invoice:{paid['id']}")
    assert moved["location"] == f"{moved_url}/v1/invoices/{paid['id']}"
    assert moved["history"] == shown["history"] and moved["updated_at"] == shown["updated_at"]


@pytest.mark.usefixtures("wide_console")
def test_quickbooks_records_show_their_api_address_and_app_link(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with seeded_company(monkeypatch) as server:
        write_config(tmp_path, store_url, config_body(server))
        _sync(capsys)
        invoice = _first(server, "Invoice")
        shown = _shown(capsys, f"books:invoice:{invoice}")
        api = f"{server.api_url.rstrip('/')}/company/{server.realm_id}"
        assert shown["location"] == f"{api}/invoice/{invoice}"
        # a simulator stands in for a sandbox company: the sandbox's app host
        assert shown["open_at"] == [
            f"https://app.sandbox.qbo.intuit.com/app/invoice?txnId={invoice}"]
        customer = _first(server, "Customer")
        assert _shown(capsys, f"books:customer:{customer}")["open_at"] == [
            f"https://app.sandbox.qbo.intuit.com/app/customerdetail?nameId={customer}"]
        stated = server.sim.get("Invoice", invoice)["MetaData"]["LastUpdatedTime"]
        assert shown["source_modified"] == datetime.fromisoformat(stated).astimezone(
            UTC).isoformat()
        payment = _first(server, "Payment")
        assert _shown(capsys, f"books:payment:{payment}")["open_at"] == [
            f"https://app.sandbox.qbo.intuit.com/app/recvpayment?txnId={payment}"]
        text = json.dumps(shown)
        for secret in ("QBO_REFRESH_TOKEN", "QBO_CLIENT_SECRET", "QBO_CLIENT_ID"):
            assert os.environ[secret] not in text

        _sync_writes_nothing(capsys, "--full")  # nothing changed: nothing written
        again = _shown(capsys, f"books:invoice:{invoice}")
        assert again == shown
        moved_api = server.api_url.replace("127.0.0.1", "localhost")
        write_config(tmp_path, store_url, config_body(server, api_url=f'"{moved_api}"'))
        _sync_writes_nothing(capsys, "--full")
        moved = _shown(capsys, f"books:invoice:{invoice}")
        assert moved["location"].startswith(moved_api.rstrip("/") + "/company/")
        assert moved["history"] == shown["history"] and moved["updated_at"] == shown["updated_at"]


def _first(server: QboSimulatorServer, name: str) -> str:
    """The smallest id of the company's objects of this kind."""
    return str(min(int(obj["Id"]) for obj in server.sim.all(name)))
