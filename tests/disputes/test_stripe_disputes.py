"""Card disputes from Stripe, end to end through the CLI against the simulator (both stores):
a dispute on the charge that paid part of an invoice holds the invoice's reminder, is a
finding with its evidence deadline, and its outcome moves the finding and the figures
(lost: the disputed amount is owed again; won: nothing changes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.store.schema import findings as store_findings
from plugins.stripe.simulator import DEFAULT_API_KEY, SimClock, Simulator, SimulatorServer
from tests.support.clock import zone_at_midday
from tests.support.hub import cli, stored, write_config
from tests.support.mail import SmtpCapture

DAY = 86_400

CONFIG = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "URL"
requests_per_second = 1000

[connectors.mail]
type = "email"
imap = { host = "127.0.0.1", port = 1, tls = "none", username = "ar", password = "env:X" }

[connectors.mail.smtp]
host = "127.0.0.1"
port = SMTP_PORT
tls = "none"
timeout_seconds = 10
retry_wait_seconds = 0

[collections]
source = "stripe"
mailer = "mail"
from_address = "ar@northwind.example"
reply_to = "collections@northwind.example"
company = "Northwind Supplies"
time_zone = "ZONE"
stages = [{ days_overdue = 7, template = "friendly" }]
"""


@dataclass
class Books:
    """A Stripe account whose customer paid USD 400.00 of a USD 1,250.00 invoice by card,
    20 days after the invoice fell due, and then disputed that card payment."""

    sim: Simulator
    config: Path
    invoice: str
    number: str
    charge: str
    dispute: str
    evidence_due: date


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, wide_console: None) -> None:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("X", "imap-Secret-4711")


@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    server = SmtpCapture().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def books(tmp_path: Path, store_url: str, smtp: SmtpCapture) -> Iterator[Books]:
    now = int(datetime.now(UTC).timestamp())
    sim = Simulator(seed=20, clock=SimClock(frozen_at=now - 30 * DAY))
    customer = sim.api("POST", "/v1/customers", {"name": "Acme Corp",
                                                 "email": "ap@acme.example"})
    invoice = sim.api("POST", "/v1/invoices", {
        "customer": customer["id"], "collection_method": "send_invoice", "days_until_due": 10,
        "currency": "usd"})
    sim.api("POST", "/v1/invoiceitems", {"customer": customer["id"], "invoice": invoice["id"],
                                         "amount": 125_000, "currency": "usd",
                                         "description": "Consulting, October"})
    invoice = sim.api("POST", f"/v1/invoices/{invoice['id']}/finalize")
    sim.clock.freeze(now - 20 * DAY + 3600)
    paid = sim.api("POST", "/v1/payment_intents", {
        "amount": 40_000, "currency": "usd", "customer": customer["id"],
        "payment_method": "pm_card_visa", "confirm": True})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/attach_payment",
            {"payment_intent": paid["id"]})
    sim.clock.freeze(now)
    dispute = sim.open_dispute(paid["latest_charge"], reason="product_unacceptable",
                               due_days=12)
    with SimulatorServer(sim) as server:
        body = (CONFIG.replace("URL", server.url).replace("SMTP_PORT", str(smtp.port))
                .replace("ZONE", zone_at_midday()))
        yield Books(sim, write_config(tmp_path, store_url, body), invoice["id"],
                    invoice["number"], paid["latest_charge"], dispute.id,
                    datetime.fromtimestamp(dispute.due_by, UTC).date())


def run(capsys: pytest.CaptureFixture[str], books: Books, *args: str) -> str:
    code, out, err = cli(capsys, "--config", str(books.config), *args)
    assert code in (exits.OK, exits.NEEDS_PERSON), (args, out, err)
    return " ".join(out.split())


def findings(capsys: pytest.CaptureFixture[str], books: Books, engine: Engine,
             kind: str) -> list[dict[str, Any]]:
    """The open findings of ``kind``: listed by ``findings list``, read from the store."""
    code, out, err = cli(capsys, "--config", str(books.config), "findings", "list",
                         "--kind", kind)
    assert code == exits.OK, err
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(store_findings).where(
            store_findings.c.kind == kind, store_findings.c.status == "open"))]
    assert (kind in out) == bool(rows), out
    return rows


def receivables(capsys: pytest.CaptureFixture[str], books: Books) -> str:
    code, out, err = cli(capsys, "--config", str(books.config), "metrics", "--json")
    assert code == exits.OK, err
    return str(json.loads(out)["by_currency"]["USD"]["receivables"])


def today() -> date:
    return datetime.now().astimezone().date()


def test_a_dispute_from_stripe_holds_the_invoices_reminder(
        books: Books, smtp: SmtpCapture, engine: Engine,
        capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, books, "sync", "stripe")
    dispute = stored(engine, "dispute", "stripe")[books.dispute]
    assert dispute["status"] == "open" and dispute["amount"] == "400.00"
    assert dispute["invoice_refs"] == [f"stripe:invoice:{books.invoice}"]
    assert dispute["invoice_numbers"] == [books.number]
    assert dispute["charge_ref"] == books.charge
    assert dispute["payment_ref"] == f"stripe:payment:{books.charge}"
    assert dispute["fee"] == "15.00" and dispute["fee_currency"] == "USD"
    assert dispute["evidence_due"] == books.evidence_due.isoformat()

    shown = run(capsys, books, "show", f"stripe:dispute:{books.dispute}")
    assert "product_unacceptable" in shown and books.charge in shown
    customer = run(capsys, books, "customer", "show", dispute["customer_ref"])
    assert f"dispute open: {books.number} since {today()}: product_unacceptable" in customer

    out = run(capsys, books, "collect", "--today", today().isoformat())
    assert smtp.messages == []
    held = run(capsys, books, "reminders", "list", "--held")
    assert f"dispute_open: dispute open on {books.number} (stripe dispute {books.dispute}, " \
           f"evidence due {books.evidence_due})" in held, (out, held)

    books.sim.decide_dispute(books.dispute, "won")  # the dispute closes: the reminder goes
    run(capsys, books, "sync", "stripe")
    run(capsys, books, "collect", "--today", today().isoformat())
    assert [e.rcpt_tos for e in smtp.messages] == [["ap@acme.example"]]


def test_an_open_dispute_is_a_finding_with_its_deadline_and_the_lost_outcome_is_money_out(
        books: Books, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, books, "sync", "stripe")
    run(capsys, books, "reconcile")
    [found] = findings(capsys, books, engine, "dispute_open")
    left = (books.evidence_due - today()).days
    assert f"evidence due in {left} days ({books.evidence_due})" in found["explanation"]
    assert found["severity"] == "low"  # 11-12 days left: more than 10
    assert found["money_at_stake_minor"] == 40_000
    assert receivables(capsys, books) == "850.00"  # open: the figures do not move yet

    books.sim.decide_dispute(books.dispute, "lost")
    run(capsys, books, "sync", "stripe")
    run(capsys, books, "reconcile")
    assert findings(capsys, books, engine, "dispute_open") == []
    [lost] = findings(capsys, books, engine, "dispute_lost")
    assert lost["severity"] == "high" and lost["money_at_stake_minor"] == 41_500
    assert "$400.00 and $15.00 dispute fee" in lost["explanation"]
    assert f"{books.number} is owed again: $400.00 of it counts as open" in lost["explanation"]
    assert receivables(capsys, books) == "1250.00"
    code, out, err = cli(capsys, "--config", str(books.config), "report", "-f", "json")
    assert code == exits.OK, err
    report = json.loads(out)
    assert report["metrics"]["by_currency"]["USD"]["receivables"] == "1250.00"
    assert [f["kind"] for f in report["findings"] if f["kind"].startswith("dispute")] == [
        "dispute_lost"]


def test_a_won_dispute_resolves_the_finding_and_leaves_the_figures(
        books: Books, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, books, "sync", "stripe")
    run(capsys, books, "reconcile")
    assert len(findings(capsys, books, engine, "dispute_open")) == 1
    books.sim.decide_dispute(books.dispute, "under_review")
    run(capsys, books, "sync", "stripe")
    run(capsys, books, "reconcile")
    [review] = findings(capsys, books, engine, "dispute_open")
    assert "evidence sent, waiting for the card network's decision" in review["explanation"]
    books.sim.decide_dispute(books.dispute, "won")
    run(capsys, books, "sync", "stripe")
    run(capsys, books, "reconcile")
    assert findings(capsys, books, engine, "dispute_open") == []
    assert findings(capsys, books, engine, "dispute_lost") == []
    assert receivables(capsys, books) == "850.00"
    assert timedelta(0) < books.evidence_due - today()


@pytest.mark.parametrize(("days", "severity"), [(2, "high"), (8, "medium"), (14, "low")])
def test_the_findings_severity_follows_the_days_left_to_answer(
        books: Books, engine: Engine, capsys: pytest.CaptureFixture[str], days: int,
        severity: str) -> None:
    books.sim.decide_dispute(books.dispute, "won")
    card = books.sim.api("POST", "/v1/payment_intents", {
        "amount": 7_000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": True})
    books.sim.open_dispute(card["latest_charge"], reason="fraudulent", due_days=days)
    run(capsys, books, "sync", "stripe")
    run(capsys, books, "reconcile")
    [found] = findings(capsys, books, engine, "dispute_open")
    assert found["severity"] == severity
    left = (found_due := date.fromisoformat(json.loads(found["details"])["evidence_due"])) \
        - today()
    assert f"evidence due in {left.days} days ({found_due})" in found["explanation"]
