"""The simulator in its own process (``python -m plugins.stripe.simulator``), its
knobs over HTTP, and a clean exit on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest
import stripe

from tests.support.paths import ROOT

pytestmark = pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning")


def test_run_seeded_in_a_subprocess_with_http_knobs() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "plugins.stripe.simulator", "--customers", "3", "--invoices",
         "25", "--seed", "4", "--settle-in", "USD"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        client = stripe.StripeClient(
            ready["api_key"], base_addresses={"api": ready["url"]},
            http_client=stripe.HTTPXClient(allow_sync_methods=True), max_network_retries=0)
        invoices = list(client.v1.invoices.list({"limit": 10}).auto_paging_iter())
        assert len(invoices) == 25
        with httpx.Client(base_url=ready["url"]) as control:
            counts = control.get("/_simulator/requests").json()
            assert counts == {"counts": {"GET /v1/invoices": 3}, "total": 3}
            assert control.post("/_simulator/faults", json={"server_error": 1.0}).is_success
            with pytest.raises(stripe.APIError):
                client.v1.customers.list()
            assert control.post("/_simulator/faults", json={}).is_success
            assert control.post("/_simulator/faults", json={"drop": 2}).status_code == 400
            assert control.post("/_simulator/requests/reset").json()["total"] == 0
            assert control.post("/_simulator/payouts").is_success
        assert len(client.v1.customers.list().data) == 3
        # --settle-in USD: a JPY charge settles converted into USD, its fee in USD
        intent = client.v1.payment_intents.create({
            "amount": 16000, "currency": "jpy", "confirm": True,
            "payment_method": "pm_card_visa"})
        charge = client.v1.charges.retrieve(intent.latest_charge,
                                            {"expand": ["balance_transaction"]})
        txn = charge.balance_transaction
        assert (charge.currency, charge.amount) == ("jpy", 16000)
        assert (txn.currency, txn.amount, txn.fee, txn.net, txn.exchange_rate) == (
            "usd", 10000, 320, 9680, 0.00625)
        assert [(f.currency, f.amount) for f in txn.fee_details] == [("usd", 320)]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
