"""``billing-hub invoices send`` through the invoice's own system, end to end through the CLI:
the real ``stripe`` SDK and python-quickbooks over HTTP against the simulators, on both
stores. What was e-mailed is read from the simulators' records; a lost answer never
sends an invoice twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.cli import exits
from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer
from tests.invoicing.support import STRIPE, sends, stripe_draft
from tests.support.hub import cli, write_config
from tests.support.qbo import config_body


@pytest.fixture
def stripe_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Simulator, SimulatorServer]]:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    simulator = Simulator(seed=7)
    with SimulatorServer(simulator) as server:
        yield simulator, server


def _posts(sim: Simulator, endpoint: str) -> int:
    return sim.request_counts.get(f"POST /v1/invoices/{{id}}/{endpoint}", 0)


def test_stripe_finalizes_and_sends_a_draft_once_under_a_lost_answer(
        stripe_sim: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    sim, server = stripe_sim
    draft = stripe_draft(sim)
    path = write_config(tmp_path, store_url, STRIPE.format(url=server.url))
    assert cli(capsys, "--config", str(path), "sync", "stripe", "--no-progress")[0] == exits.OK
    # Stripe carries the send out, and the answer never reaches the hub
    sim.script_fault("lost_response", path=r"/send$")

    code, out, err = cli(capsys, "--config", str(path), "invoices", "send",
                         f"stripe:invoice:{draft}")
    assert code == exits.OK, out + err
    assert f"sent stripe:invoice:{draft}" in " ".join(out.split())
    sent = sim.store.sent_invoices
    assert [(s.invoice, s.to) for s in sent] == [(draft, "ap@harbour.example")]
    assert sim.store.invoices.get(draft).status == "open"  # type: ignore[union-attr]
    assert _posts(sim, "send") == 2 and _posts(sim, "finalize") == 1  # asked again: replayed
    [row] = sends(tmp_path, store_url)
    assert (row["status"], row["channel"], row["via"], row["attempts"]) == (
        "sent", "service", "stripe", 1)
    assert row["to_address"] == "ap@harbour.example" and row["sent_at"] is not None

    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       f"stripe:invoice:{draft}")
    assert code == exits.OK and "already" in out and "an invoice is sent once" in out
    assert len(sim.store.sent_invoices) == 1 and _posts(sim, "send") == 2


def test_stripe_refuses_a_customer_without_an_address_and_the_hub_says_why(
        stripe_sim: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    sim, server = stripe_sim
    draft = stripe_draft(sim, email=None)
    path = write_config(tmp_path, store_url, STRIPE.format(url=server.url))
    cli(capsys, "--config", str(path), "sync", "stripe", "--no-progress")
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send", "--due")
    said = " ".join(out.split())
    assert code == exits.NEEDS_PERSON, said
    assert f"rejected stripe:invoice:{draft}" in said and "no email address" in said
    assert sim.store.sent_invoices == []
    assert [r["status"] for r in sends(tmp_path, store_url)] == ["rejected"]


@pytest.fixture
def company(qbo: QboSimulatorServer, tmp_path: Path, store_url: str) -> Path:
    """A synced QuickBooks company; the config path."""
    body = config_body(qbo) + '\n[invoicing]\nsources = ["books"]\n'
    return write_config(tmp_path, store_url, body)


def test_quickbooks_emails_an_invoice_to_its_billing_address_once_under_a_lost_answer(
        qbo: QboSimulatorServer, company: Path, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    sim = qbo.sim
    invoice = next(i for i in sim.all("Invoice")
                   if (i.get("BillEmail") or {}).get("Address") and i["Balance"] > 0)
    assert cli(capsys, "--config", str(company), "sync", "books", "--no-progress")[0] == 0
    sim.script_fault("lost_response", path=r"/send$")

    code, out, err = cli(capsys, "--config", str(company), "invoices", "send",
                         f"books:invoice:{invoice['Id']}")
    assert code == exits.OK, out + err
    address = invoice["BillEmail"]["Address"]
    assert [(s.invoice_id, s.to) for s in sim.sent_invoices] == [(invoice["Id"], address)]
    held = sim.get("Invoice", invoice["Id"])
    assert held["EmailStatus"] == "EmailSent" and held["DeliveryInfo"]["DeliveryType"] == "Email"
    asked = [r for r in sim.requests if r.path.endswith("/send")]
    assert len(asked) == 2 and len({r.requestid for r in asked}) == 1  # the same requestid
    assert asked[0].requestid and len(asked[0].requestid) <= 50
    assert f"sendTo={address.replace('@', '%40')}" in asked[0].query
    [row] = sends(tmp_path, store_url)
    assert row["status"] == "delivered" and row["to_address"] == address
    assert row["delivered_at"] is not None and "EmailSent" in row["answer"]

    code, out, _ = cli(capsys, "--config", str(company), "invoices", "send", "--due")
    assert len(sim.sent_invoices) == len([i for i in sim.all("Invoice")
                                          if i.get("EmailStatus") == "EmailSent"])
    assert [s.invoice_id for s in sim.sent_invoices].count(invoice["Id"]) == 1
