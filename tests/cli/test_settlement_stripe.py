"""A charge in another currency, end to end: the real ``stripe`` SDK over HTTP against a
simulated USD account that converts a JPY charge as Stripe does, then ``billing-hub sync``,
``reconcile`` and ``payouts --lines``: the fee is USD 3.20, not JPY 320, and the USD
payout finds its bank deposit by amount and date."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hub.cli import exits
from hub.config import load_config
from hub.store import open_store
from plugins.stripe.simulator import DEFAULT_API_KEY, Account, Simulator, SimulatorServer
from tests.support.hub import cli, quarantined, stored, write_config

BODY = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
preset = "bank-signed"
defaults = {{ currency = "USD" }}
"""
BANK = """Date,Description,Amount,Balance
2026-11-23,Opening balance,10.00,10.00
2026-11-25,ACH CREDIT STRIPE TRANSFER,120.05,130.05
2026-11-30,Account fee,-1.00,129.05
"""
DAY = 86400


def _at(day: str, hour: int = 10) -> int:
    return int(datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).timestamp())


def test_a_jpy_charge_on_a_usd_account_has_a_usd_fee_and_its_payout_reconciles(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    monkeypatch.chdir(tmp_path)
    sim = Simulator(seed=18, account=Account(default_currency="usd",
                                             payout_currencies=frozenset({"usd"})))
    sim.clock.freeze(_at("2026-11-20"))
    customer = sim.api("POST", "/v1/customers", {"name": "Kobe Trading"})["id"]
    jpy = sim.api("POST", "/v1/payment_intents", {
        "amount": 16000, "currency": "jpy", "customer": customer, "confirm": True,
        "payment_method": "pm_card_visa"})
    sim.api("POST", "/v1/payment_intents", {
        "amount": 5000, "currency": "usd", "customer": customer, "confirm": True,
        "payment_method": "pm_card_visa"})
    charge_id = sim.api("GET", f"/v1/payment_intents/{jpy['id']}")["latest_charge"]
    sim.api("POST", "/v1/refunds", {"charge": charge_id, "amount": 4000})  # JPY 4,000 back
    sim.clock.freeze(_at("2026-11-23"))
    [payout] = sim.pay_out()  # arrives on Wednesday 25 November
    sim.clock.freeze(_at("2026-11-26"))
    sim.settle_payouts()
    assert (payout.currency, payout.amount) == ("usd", 9680 - 2500 + 5000 - 175)

    (tmp_path / "bank.csv").write_text(BANK)
    with SimulatorServer(sim) as server:
        config = write_config(tmp_path, store_url, BODY.format(url=server.url))
        assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    assert cli(capsys, "reconcile")[0] == exits.OK
    code, out, _ = cli(capsys, "payouts", "--lines")
    assert code == exits.OK

    engine = open_store(load_config(config).store_url())
    try:
        assert quarantined(engine) == []
        [charge] = [p for p in stored(engine, "payment", "stripe").values()
                    if p["reference"] == jpy["id"]]
        assert (charge["currency"], Decimal(charge["amount"]), charge["fee"]) == (
            "JPY", Decimal("16000"), None)  # not "JPY 320"
        settled = charge["settlement"]
        assert (settled["currency"], Decimal(settled["amount"]), Decimal(settled["fee"]),
                Decimal(settled["net"]), Decimal(settled["exchange_rate"])) == (
            "USD", Decimal("100.00"), Decimal("3.20"), Decimal("96.80"), Decimal("0.00625"))
        [mine] = stored(engine, "payout", "stripe").values()
        assert (mine["currency"], Decimal(mine["amount"])) == ("USD", Decimal("120.05"))
    finally:
        engine.dispose()

    rows = [line for line in out.splitlines() if "│" in line]
    [head] = [line for line in rows if f"stripe:payout:{payout.id}" in line]
    assert [c.strip() for c in head.strip("│").split("│")][3:7] == [
        "$120.05", "$150.00", "$4.95", "$25.00"]  # fees USD 3.20 + 1.75, refund USD 25.00
    assert "2026-11-25 $120.05 (amount and date; bank:bank_transaction:" in head
    [jpy_line] = [line for line in rows if "charged ¥16,000 at 0.00625" in line]
    cells = [c.strip() for c in jpy_line.strip("│").split("│")]
    # net, gross and fee of the JPY charge, all in USD: the fee is USD 3.20
    assert cells[3:6] == ["$96.80", "$100.00", "$3.20"], cells
    [usd_line] = [line for line in rows if "charge ch_" in line and "charged" not in line]
    assert [c.strip() for c in usd_line.strip("│").split("│")][3:6] == [
        "$48.25", "$50.00", "$1.75"]
    [refund_line] = [line for line in rows if "refunded ¥4,000 at 0.00625" in line]
    assert [c.strip() for c in refund_line.strip("│").split("│")][3:7] == [
        "-$25.00", "", "$0.00", "$25.00"]
