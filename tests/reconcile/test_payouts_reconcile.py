"""Payouts against bank deposits: the fee explained, the missing deposit flagged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.cli.app import run
from hub.contract.page import Page
from hub.models import Payout
from hub.reconcile import payouts
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.store.schema import audit_log, findings
from tests.support.hub import hub

BANK = """
[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
preset = "bank-signed"
defaults = { currency = "USD" }
"""
HEADER = "Date,Description,Amount,Balance\n"
LINES = [
    "2026-03-05,STRIPE PAYOUT,1906.60,1906.60\n",          # po_A: amount and date
    "2026-03-10,Transfer STRIPE po_B 09 MAR,500.00,2406.60\n",  # po_B named, 10.00 short
    "2026-03-31,Rent,-1000.00,1406.60\n",                   # the statement runs to 31 March
]

pytestmark = pytest.mark.usefixtures("wide_console")


def _txn(ref: str, kind: str, gross: str, fee: str = "0") -> dict[str, Any]:
    g, f = Decimal(gross), Decimal(fee)
    return {"ref": ref, "kind": kind, "gross": g, "fee": f, "net": g - f}


def _payout(ext: str, amount: str, arrival: date, status: str = "paid",
            transactions: list[dict[str, Any]] | None = None) -> Payout:
    return Payout.model_validate({
        "source": "stripe", "external_id": ext, "amount": Decimal(amount), "currency": "usd",
        "arrival_date": arrival, "status": status, "transactions": transactions or [],
        "statement_descriptor": "STRIPE PAYOUT"})


PAYOUTS = [
    _payout("po_A", "1906.60", date(2026, 3, 4), transactions=[
        _txn("txn_1", "charge", "1000.00", "29.30"), _txn("txn_2", "charge", "1000.00", "29.30"),
        _txn("txn_3", "refund", "-50.00"), _txn("txn_4", "adjustment", "15.20")]),
    _payout("po_B", "510.00", date(2026, 3, 9)),
    _payout("po_C", "250.00", date(2026, 3, 12)),                 # never arrived
    _payout("po_D", "300.00", date(2026, 3, 29), "in_transit"),  # not due before 3 April
    _payout("po_E", "99.00", date(2026, 3, 1), "failed"),        # will never arrive
]


def _open(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(findings.c.key, findings.c.status, findings.c.explanation)
                            .where(findings.c.kind.like("payout%")))
        return {key: (status, text) for key, status, text in rows}


def test_each_payout_finds_its_deposit_and_a_missing_one_is_flagged(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bank.csv").write_text(HEADER + "".join(LINES))
    with hub(tmp_path, store_url, BANK) as (sync, engine, config):
        sync.sync("bank")
        sync.commit_page("stripe", "payout", Page(records=PAYOUTS), run_id=None)

        with engine.connect() as conn:
            review = payouts.load(conn)
        by_id = {m.payout.external_id: m for m in review.matches}
        assert by_id["po_A"].how == "amount and date" and by_id["po_A"].difference == 0
        assert by_id["po_A"].deposit is not None
        assert by_id["po_A"].deposit.booked == date(2026, 3, 5)
        assert by_id["po_B"].how == "reference"
        assert by_id["po_B"].difference == Decimal("-10.00")
        assert sorted(k for k, m in by_id.items() if m.deposit is None) == ["po_C", "po_D", "po_E"]
        assert payouts.breakdown(by_id["po_A"].payout) == (
            "payments $2,000.00 - fees $58.60 - refunds $50.00 + other $15.20")

        reconcile(engine, ReconcileSettings.of(config))
        found = _open(engine)
        assert set(found) == {"payout_without_deposit:stripe:po_C",
                              "payout_deposit_mismatch:stripe:po_B"}
        status, text = found["payout_without_deposit:stripe:po_C"]
        assert status == "open"
        assert "stripe payout po_C of $250.00" in text and "12 March 2026" in text
        assert "the bank lines run to 31 March 2026" in text
        assert "$10.00 less than the payout" in found["payout_deposit_mismatch:stripe:po_B"][1]

        reconcile(engine, ReconcileSettings.of(config))  # nothing changed: nothing new
        assert _open(engine) == found

        assert run(["payouts"]) == exits.OK
        shown = capsys.readouterr().out
        assert "stripe:payout:po_A" in shown and "2026-03-05 $1,906.60 (amount and date" in shown
        assert "$2,000.00" in shown and "$58.60" in shown and "none found" in shown
        assert run(["payouts", "--unmatched"]) == exits.OK
        shown = capsys.readouterr().out
        assert "po_C" in shown and "po_A" not in shown

        # po_C's deposit shows up in the next statement: the finding resolves itself
        (tmp_path / "bank.csv").write_text(
            HEADER + "".join(LINES) + "2026-03-13,STRIPE PAYOUT,250.00,1656.60\n")
        sync.sync("bank")
        reconcile(engine, ReconcileSettings.of(config))
        found = _open(engine)
        assert found["payout_without_deposit:stripe:po_C"][0] == "resolved"
        assert found["payout_deposit_mismatch:stripe:po_B"][0] == "open"
        with engine.connect() as conn:
            actions = [a for (a,) in conn.execute(sa.select(audit_log.c.action))]
        assert "finding.auto_resolved" in actions
