"""Payouts against bank deposits: the fee explained, the missing deposit flagged."""

from __future__ import annotations

import json
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
        assert "between 10 March 2026 and 17 March 2026" in text  # 2 and 3 business days
        assert "the bank lines run from 5 March 2026 to 31 March 2026" in text
        assert "$10.00 less than the payout" in found["payout_deposit_mismatch:stripe:po_B"][1]

        reconcile(engine, ReconcileSettings.of(config))  # nothing changed: nothing new
        assert _open(engine) == found

        assert run(["payouts"]) == exits.OK
        shown = capsys.readouterr().out
        assert "stripe:payout:po_A" in shown and "2026-03-05 $1,906.60 (amount and date" in shown
        assert "$2,000.00" in shown and "$58.60" in shown
        assert "missing: none found 2026-03-10 to 2026-03-17" in shown  # po_C
        assert "not yet verifiable (USD bank lines run 2026-03-05 to 2026-03-31; the " \
               "deposit may be booked 2026-03-26 to 2026-04-01)" in shown  # po_D, a Sunday
        assert "none expected (failed)" in shown  # po_E
        assert run(["payouts", "--unmatched"]) == exits.OK
        shown = capsys.readouterr().out
        assert "po_C" in shown and "po_A" not in shown
        assert run(["payouts", "--json"]) == exits.OK
        listed = {p["payout"]: p for p in json.loads(capsys.readouterr().out)}
        a = listed["stripe:payout:po_A"]
        assert (a["currency"], a["amount"], a["deposit_state"]) == ("USD", "1906.60", "matched")
        assert a["deposit"]["booked"] == "2026-03-05" and a["deposit"]["amount"] == "1906.60"
        assert a["deposit"]["found_by"] == "amount and date" and a["fees"] == "58.60"
        assert listed["stripe:payout:po_C"]["deposit"] is None
        assert listed["stripe:payout:po_C"]["bank_deposit"] == (
            "missing: none found 2026-03-10 to 2026-03-17")
        assert listed["stripe:payout:po_E"]["deposit_state"] == "no deposit expected"

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


APRIL = [  # the statement runs from Monday 6 to Thursday 30 April
    "2026-04-06,Opening,10.00,10.00\n",
    "2026-04-08,ACH CREDIT,700.00,710.00\n",            # po_amount, on its arrival day
    "2026-04-15,ACH CREDIT,450.00,1160.00\n",           # po_twin1 or po_twin2?
    "2026-04-20,ACH CREDIT,125.00,1285.00\n",           # po_friday, one business day on
    "2026-04-21,ACH CREDIT,300.00,1585.00\n",           # po_pair: this one ...
    "2026-04-23,ACH CREDIT,300.00,1885.00\n",           # ... or this one?
    "2026-04-30,Fees,-5.00,1880.00\n",
]
APRIL_PAYOUTS = [
    _payout("po_early", "900.00", date(2026, 4, 1)),     # before the first line
    _payout("po_amount", "700.00", date(2026, 4, 8)),
    _payout("po_twin1", "450.00", date(2026, 4, 14)),
    _payout("po_twin2", "450.00", date(2026, 4, 15)),
    _payout("po_friday", "125.00", date(2026, 4, 17)),
    _payout("po_pair", "300.00", date(2026, 4, 22)),
    _payout("po_late", "80.00", date(2026, 4, 29), "in_transit"),  # may land after the 30th
    _payout("po_void", "60.00", date(2026, 4, 9), "canceled"),  # never sent
    _payout("po_debit", "-40.00", date(2026, 4, 10)),  # Stripe took money back
]


def test_amount_and_business_day_window_ambiguity_reported_and_not_yet_verifiable(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bank.csv").write_text(HEADER + "".join(APRIL))
    with hub(tmp_path, store_url, BANK) as (sync, engine, _):
        sync.sync("bank")
        sync.commit_page("stripe", "payout", Page(records=APRIL_PAYOUTS), run_id=None)
    assert run(["reconcile"]) == exits.OK
    capsys.readouterr()
    with hub(tmp_path, store_url, BANK) as (_, engine, _):
        found = _open(engine)
    assert set(found) == {"payout_deposit_ambiguous:stripe:po_twin1",
                          "payout_deposit_ambiguous:stripe:po_twin2",
                          "payout_deposit_ambiguous:stripe:po_pair"}
    pair = found["payout_deposit_ambiguous:stripe:po_pair"][1]
    assert ("the bank lines bank:bank_transaction:" in pair and "of 21 April 2026" in pair
            and "of 23 April 2026 all fit it. Nothing was matched" in pair)
    assert "also stripe:payout:po_twin2" in found["payout_deposit_ambiguous:stripe:po_twin1"][1]

    assert run(["payouts"]) == exits.OK
    shown = {line.split()[3]: line for line in capsys.readouterr().out.splitlines()
             if "stripe:payout:" in line}
    assert "2026-04-08 $700.00 (amount and date;" in shown["stripe:payout:po_amount"]
    assert "2026-04-20 $125.00 (amount and date;" in shown["stripe:payout:po_friday"]
    assert "not yet verifiable (USD bank lines run 2026-04-06 to 2026-04-30;" in shown[
        "stripe:payout:po_early"]
    assert "not yet verifiable" in shown["stripe:payout:po_late"]
    assert "ambiguous:" in shown["stripe:payout:po_twin1"] and "fits stripe:payout:po_twin2 " \
        "too; not matched" in shown["stripe:payout:po_twin1"]
    assert "all fit; not matched" in shown["stripe:payout:po_pair"]
    assert "none expected (canceled)" in shown["stripe:payout:po_void"]
    assert "none expected (a debit of the bank account)" in shown["stripe:payout:po_debit"]

    # cash application: the deposit both twins fit is surely a payout's; of the two
    # deposits po_pair fits, only one is its own, so neither is taken for it
    assert run(["cash", "--why"]) == exits.OK
    receipts = [line for line in capsys.readouterr().out.splitlines()
                if "bank:bank_transaction:" in line]
    [twins] = [line for line in receipts if "$450.00" in line]
    assert "booked_elsewhere" in twins and (
        "a payout (stripe:payout:po_twin1 or stripe:payout:po_twin2" in twins)
    assert "the payout stripe:payout:po_amount" in next(r for r in receipts if "$700.00" in r)
    pair = [line for line in receipts if "$300.00" in line]
    assert len(pair) == 2 and not any("booked_elsewhere" in line for line in pair)

    # a narrower window: the Monday deposit no longer fits Friday's payout, which is missing
    (tmp_path / "billing-hub.toml").write_text(
        (tmp_path / "billing-hub.toml").read_text()
        + "\n[reconcile.payouts]\ndays_before = 0\ndays_after = 0\n")
    assert run(["reconcile"]) == exits.OK
    assert run(["payouts"]) == exits.OK
    out = capsys.readouterr().out
    assert "missing: none found 2026-04-17 to 2026-04-17" in out
    with hub(tmp_path, store_url, BANK) as (_, engine, _):
        found = _open(engine)
    assert found["payout_without_deposit:stripe:po_friday"][0] == "open"
    assert found["payout_deposit_ambiguous:stripe:po_twin1"][0] == "resolved"  # one fits now
    assert "payout_without_deposit:stripe:po_early" not in found
