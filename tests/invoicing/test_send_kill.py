"""A send killed after the system (or the SMTP server) carried it out and before the hub
committed it: a real ``billing-hub invoices send`` child process, SIGKILLed while the
simulator holds its answer; then the command again. The customer gets one e-mail:
Stripe and QuickBooks replay the first answer for the same key, and an e-mail the hub
cannot know about is left ``unconfirmed`` for a person rather than sent twice. Both
stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.testing import Hold
from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer
from tests.invoicing.support import STRIPE, sends, stripe_draft
from tests.invoicing.test_send_email import LEDGER, MAILING, invoice, put
from tests.support.hub import CLI, cli, write_config
from tests.support.mail import SmtpCapture
from tests.support.qbo import config_body

pytestmark = pytest.mark.slow


def _killed_while_held(folder: Path, hold: Hold, *args: str) -> None:
    """``billing-hub ARGS`` in a child process, SIGKILLed once ``hold`` stopped its request
    after the service carried it out; then the held answer goes to nobody."""
    child = subprocess.Popen([sys.executable, "-c", CLI, "--config",
                              str(folder / "billing-hub.toml"), *args],
                             cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env={**os.environ, "COLUMNS": "200"})
    try:
        if not hold.reached(90):
            child.kill()
            pytest.fail(f"the send never reached the service: {child.communicate()[0]}")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
        hold.release()


def test_stripe_killed_after_sending_sends_once_and_the_rerun_records_it(
        tmp_path: Path, store_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    sim = Simulator(seed=11)
    draft = stripe_draft(sim)
    with SimulatorServer(sim) as server:
        path = write_config(tmp_path, store_url, STRIPE.format(url=server.url))
        assert cli(capsys, "--config", str(path), "sync", "stripe", "--no-progress")[0] == 0
        hold = sim.hold(r"/send$", when="after")
        _killed_while_held(tmp_path, hold, "invoices", "send", f"stripe:invoice:{draft}")
        assert len(sim.store.sent_invoices) == 1
        assert [r["status"] for r in sends(tmp_path, store_url)] == ["sending"]

        code, out, err = cli(capsys, "--config", str(path), "invoices", "send", "--due")
        assert code == exits.OK, out + err
        assert f"sent stripe:invoice:{draft}" in " ".join(out.split())
    assert len(sim.store.sent_invoices) == 1  # asked again with the same keys: replayed
    [row] = sends(tmp_path, store_url)
    assert row["status"] == "sent" and row["attempts"] == 2


def test_quickbooks_killed_after_sending_sends_once_and_the_rerun_records_it(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str, engine: Engine,
        capsys: pytest.CaptureFixture[str]) -> None:
    sim = qbo.sim
    path = write_config(tmp_path, store_url,
                        config_body(qbo) + '\n[invoicing]\nsources = ["books"]\n')
    target = next(i for i in sim.all("Invoice") if (i.get("BillEmail") or {}).get("Address"))
    assert cli(capsys, "--config", str(path), "sync", "books", "--no-progress")[0] == 0
    hold = sim.hold(r"/send$", when="after")
    _killed_while_held(tmp_path, hold, "invoices", "send", f"books:invoice:{target['Id']}")
    assert [s.invoice_id for s in sim.sent_invoices] == [target["Id"]]
    assert [r["status"] for r in sends(tmp_path, store_url)] == ["sending"]

    code, out, err = cli(capsys, "--config", str(path), "invoices", "send",
                         f"books:invoice:{target['Id']}")
    assert code == exits.OK, out + err
    assert [s.invoice_id for s in sim.sent_invoices] == [target["Id"]]
    asked = [r.requestid for r in sim.requests if r.path.endswith("/send")]
    assert len(asked) == 2 and asked[0] == asked[1]
    assert [r["status"] for r in sends(tmp_path, store_url)] == ["delivered"]


@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    server = SmtpCapture().start()
    try:
        yield server
    finally:
        server.stop()


def test_an_email_killed_after_the_server_took_it_is_never_sent_again_by_itself(
        smtp: SmtpCapture, tmp_path: Path, store_url: str, engine: Engine,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from hub.models import Customer

    monkeypatch.setenv("X", "imap-Secret-4711")
    put(engine, Customer(source="books", external_id="C1", name="Acme Corp",
                         email="ap@acme.example"), invoice("INV-1"))
    path = write_config(tmp_path, store_url, LEDGER + MAILING.format(port=smtp.port))
    hold = Hold("DATA", "after")
    smtp.handler.hold = hold
    _killed_while_held(tmp_path, hold, "invoices", "send", "books:invoice:id-INV-1")
    assert len(smtp.messages) == 1
    [row] = sends(tmp_path, store_url)
    assert row["status"] == "sending"

    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send", "--due",
                       "--today", "2026-12-31")
    said = " ".join(out.split())
    assert code == exits.NEEDS_PERSON and "unconfirmed books:invoice:id-INV-1" in said
    assert row["message_id"] in said and "invoices mark books:invoice:id-INV-1 --sent" in said
    assert len(smtp.messages) == 1
    cli(capsys, "--config", str(path), "invoices", "send", "books:invoice:id-INV-1")
    assert len(smtp.messages) == 1  # asked by name: still not sent again

    code, out, _ = cli(capsys, "--config", str(path), "invoices", "mark",
                       "books:invoice:id-INV-1", "--sent")
    assert code == exits.OK and sends(tmp_path, store_url)[0]["status"] == "sent"
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send", "--due",
                       "--today", "2026-12-31")
    assert "No invoice waits" in out and len(smtp.messages) == 1
