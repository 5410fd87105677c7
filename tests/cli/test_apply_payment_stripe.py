"""``apply-payment`` into Stripe, end to end through the CLI: the real ``stripe`` SDK over
HTTP against the simulator, on both stores. What Stripe holds is read from the
simulator's own store; a lost answer never pays an invoice twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.config import load_config
from hub.store import open_store
from hub.store.schema import findings
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer, seed_company
from tests.support.hub import cli, write_config

BODY = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000
max_attempts = 3

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
date_format = "iso"
id_columns = ["Ref"]
columns = {{ reference = "Ref", booked_date = "Date", amount = "Amount", currency = "Cur", \
counterparty = "From", description = "Text" }}
"""
TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Simulator, SimulatorServer]]:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    simulator = Simulator(seed=31)
    seed_company(simulator, customers=4, invoices=12)
    with SimulatorServer(simulator) as server:
        yield simulator, server


def _finding(config: Path, key: str) -> tuple[str, str]:
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            status, text = conn.execute(sa.select(findings.c.status, findings.c.explanation)
                                        .where(findings.c.key == key)).one()
        return str(status), str(text)
    finally:
        engine.dispose()


def _pays(simulator: Simulator) -> int:
    """Requests to pay an invoice (the simulator counts them per endpoint)."""
    return sum(n for k, n in simulator.request_counts.items()
               if k.startswith("POST") and k.endswith("/pay"))


def test_a_bank_credit_pays_a_stripe_invoice_out_of_band_once_and_then_resolves(
        sim: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        wide_console: None) -> None:
    simulator, server = sim
    monkeypatch.chdir(tmp_path)
    opened = sorted((i for i in simulator.store.invoices.values() if i.status == "open"),
                    key=lambda i: i.amount_remaining)
    usd = next(i for i in opened if i.currency == "usd")
    bhd = opened[-1]  # BHD 3,551.310: more than the 1,000.000 the bank line brings
    assert bhd.currency == "bhd" and bhd.amount_remaining > 1_000_000
    names = {c.id: c.name for c in simulator.store.customers.values()}
    whole = f"{usd.amount_remaining / 100:.2f}"
    (tmp_path / "bank.csv").write_text(
        "Ref,Date,Amount,Cur,From,Text\n"
        f"B-1,{TODAY},{whole},USD,{names[usd.customer]},Invoice {usd.number}\n"
        f"B-2,{TODAY},1000.000,BHD,{names[bhd.customer]},On account {bhd.number}\n",
        encoding="utf-8")
    config = write_config(tmp_path, store_url, BODY.format(url=server.url))
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    cli(capsys, "reconcile")
    assert _finding(config, "unapplied_payment:bank:B-1")[0] == "open"

    code, out, err = cli(capsys, "apply-payment", "bank:B-1", f"stripe:{usd.id}")
    assert code == exits.OK, err
    assert (f"Applied {float(whole):,.2f} USD of bank:bank_transaction:B-1 to "
            f"stripe:invoice:{usd.id}") in out
    code, out, err = cli(capsys, "apply-payment", "bank:B-2", f"stripe:{bhd.id}")
    assert code == exits.OK and "Applied 1,000.000 BHD" in out, err
    cli(capsys, "reconcile")
    status, text = _finding(config, "unapplied_payment:bank:B-1")
    assert status == "open" and text.startswith(
        f"Applied, awaiting confirmation: {float(whole):,.2f} USD to stripe:invoice:{usd.id} "
        f"({usd.number}), queued for stripe, not sent yet")

    # every answer to the payment is lost (max_attempts is 3): the run stops, and the
    # change stays queued, with its key, though Stripe did pay the invoice
    simulator.script_fault("lost_response", 3, method="POST", path=r"/pay$")
    code, _, err = cli(capsys, "push", "send", "stripe", "--no-progress")
    assert code == exits.FAILED and "stay queued" in err
    paid = simulator.store.invoices.get(usd.id)
    assert paid is not None
    assert paid.status == "paid" and paid.paid_out_of_band and paid.amount_remaining == 0
    assert _pays(simulator) == 3
    # sent again: Stripe replays its first answer under the same Idempotency-Key
    code, out, _ = cli(capsys, "push", "send", "stripe", "--no-progress")
    assert code == exits.NEEDS_PERSON  # the part payment, which Stripe cannot record
    assert _pays(simulator) == 4
    assert [e.type for e in simulator.store.events.values()
            if e.type == "invoice.paid" and e.object.id == usd.id] == ["invoice.paid"]
    assert getattr(simulator.store.invoices.get(bhd.id), "status", None) == "open"
    code, out, _ = cli(capsys, "push", "list", "--status", "rejected")
    flat = " ".join(out.split())
    assert "bank:bank_transaction:B-2 -> stripe:invoice:" in flat
    assert "Stripe records money received outside" in flat

    cli(capsys, "reconcile")  # sent, not read back yet; the refused one counts for nothing
    status, text = _finding(config, "unapplied_payment:bank:B-1")
    assert status == "open" and "sent to stripe; the next sync of stripe confirms it." in text
    assert "awaiting" not in _finding(config, "unapplied_payment:bank:B-2")[1]

    assert cli(capsys, "sync", "stripe", "--no-progress")[0] == exits.OK
    cli(capsys, "reconcile")
    assert _finding(config, "unapplied_payment:bank:B-1")[0] == "resolved"
    assert _finding(config, "unapplied_payment:bank:B-2")[0] == "open"
