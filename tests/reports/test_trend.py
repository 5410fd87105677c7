"""``billing-hub metrics --trend``: each reconcile run keeps its match rate, discrepancy rate
and open findings per kind, shown over time as a table, JSON or CSV. Through the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from plugins.quickbooks.simulator import QboSimulatorServer
from tests.support.hub import cli, write_config
from tests.support.qbo import config_body

BOOKS = """
[connectors.books]
type = "csv"

[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "%Y-%m-%d"
defaults = { currency = "USD" }
columns = { number = "Number", customer_name = "Customer", issue_date = "Date", total = "Total" }

[connectors.receipts]
type = "csv"

[[connectors.receipts.files]]
path = "payments.csv"
entity = "payment"
date_format = "%Y-%m-%d"
defaults = { currency = "USD" }
columns = { reference = "Ref", payer_name = "Payer", received_date = "Date", amount = "Amount", \
memo = "Memo" }
"""
INVOICES = ("Number,Customer,Date,Total\nINV-1,Acme,2026-03-01,100.00\n"
            "INV-2,Globex,2026-03-02,250.00\nINV-3,Initech,2026-03-03,40.00\n")
PAYMENTS = ("Ref,Payer,Date,Amount,Memo\nP1,Acme,2026-03-10,100.00,Invoice INV-1\n"
            "P2,Nobody Known,2026-03-11,60.00,thanks\n")
LATER = "P3,Globex,2026-03-12,250.00,Invoice INV-2\n"


@pytest.fixture
def company(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    (tmp_path / "payments.csv").write_text(PAYMENTS, encoding="utf-8")
    return write_config(tmp_path, store_url, BOOKS)


def _open_findings(capsys: pytest.CaptureFixture[str]) -> int:
    code, out, _ = cli(capsys, "findings", "list")
    assert code == 0
    return int(out.split("findings (", 1)[1].split(")", 1)[0])


def test_trend_keeps_each_runs_rates(company: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "metrics", "--trend")
    assert code == 0 and "No reconcile run has been measured yet" in out
    assert cli(capsys, "sync")[0] == 0
    assert cli(capsys, "reconcile")[0] == 0
    first_open = _open_findings(capsys)
    # P1 names INV-1 and pays it exactly (the matcher's decision: applied automatically);
    # P2 is nobody's: of USD 160.00 received, 100.00 is applied
    with (tmp_path / "payments.csv").open("a", encoding="utf-8") as f:
        f.write(LATER)
    assert cli(capsys, "sync")[0] == 0
    assert cli(capsys, "reconcile")[0] == 0
    second_open = _open_findings(capsys)

    code, out, _ = cli(capsys, "metrics", "--trend", "-f", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 2 and rows[0]["run_id"] < rows[1]["run_id"]
    first, second = (r["currencies"][0] for r in rows)
    assert (first["currency"], first["cash_received"], first["cash_applied"]) == (
        "USD", "160.00", "100.00")
    assert first["match_rate_percent"] == "62.5"
    assert (second["cash_received"], second["cash_applied"]) == ("410.00", "350.00")
    assert second["match_rate_percent"] == "85.4"  # 350 / 410
    # the discrepancy rate: open findings per 100 invoices and payments (5, then 6)
    assert rows[0]["records"] == 5 and rows[1]["records"] == 6
    assert rows[0]["open_findings"] == first_open
    assert rows[1]["open_findings"] == second_open
    assert rows[0]["discrepancy_rate_per_100"] == f"{first_open * 100 / 5:.2f}"
    # per currency too: every record and finding here is in USD
    assert (first["records"], first["open_findings"]) == (5, first_open)
    assert first["discrepancy_rate_per_100"] == rows[0]["discrepancy_rate_per_100"]
    assert rows[1]["discrepancy_rate_per_100"] == f"{second_open * 100 / 6:.2f}"
    # the CSV's payments are not applied in their own system: each is an open
    # unapplied_payment finding (with the matcher's decision as its suggestion)
    before = {(k["kind"], k["currency"]): k for k in rows[0]["open_findings_by_kind"]}
    kinds = {(k["kind"], k["currency"]): k for k in rows[1]["open_findings_by_kind"]}
    assert (before[("unapplied_payment", "USD")]["count"],
            before[("unapplied_payment", "USD")]["money_at_stake"]) == (2, "160.00")
    unapplied = kinds[("unapplied_payment", "USD")]
    assert (unapplied["count"], unapplied["money_at_stake"]) == (3, "410.00")
    assert sum(k["count"] for k in kinds.values()) == second_open

    code, out, _ = cli(capsys, "metrics", "--trend", "-f", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    usd = [r for r in table if r["currency"] == "USD" and not r["kind"]]
    assert [r["match_rate_percent"] for r in usd] == ["62.5", "85.4"]
    assert [r["cash_received"] for r in usd] == ["160.00", "410.00"]
    kind_rows = [r for r in table if r["kind"] == "unapplied_payment"]
    assert [r["money_at_stake"] for r in kind_rows] == ["160.00", "410.00"]

    code, out, _ = cli(capsys, "metrics", "--trend", "--per", "day", "-f", "json")
    [today] = json.loads(out)
    assert today["run_id"] == rows[1]["run_id"]  # the day's last run
    code, out, _ = cli(capsys, "metrics", "--trend", "--since", "2999-01-01", "-f", "json")
    assert json.loads(out) == []

    code, out, _ = cli(capsys, "metrics", "--trend")
    flat = " ".join(out.split())
    assert "USD 160.00 100.00 62.5" in flat and "USD 410.00 350.00 85.4" in flat
    assert "unapplied_payment USD 3 410.00" in flat
    assert max(len(line) for line in out.splitlines()) <= 80


def test_reconciling_unchanged_data_keeps_the_same_rates(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "sync")[0] == 0
    for _ in range(2):
        assert cli(capsys, "reconcile")[0] == 0
    code, out, _ = cli(capsys, "metrics", "--trend", "-f", "json")
    assert code == 0
    first, second = json.loads(out)
    for row in (first, second):
        del row["run_id"], row["measured_at"]
    assert first == second


BANK = """
[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
date_format = "iso"
id_columns = ["Ref"]
columns = { reference = "Ref", booked_date = "Date", amount = "Amount", currency = "Cur", \
counterparty = "From", description = "Text" }
"""


def _usd(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    code, out, _ = cli(capsys, "metrics", "--trend", "-f", "json")
    assert code == 0
    return [next(c for c in r["currencies"] if c["currency"] == "USD") for r in json.loads(out)]


def test_a_coordinators_confirmed_suggestion_counts_as_applied(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    invoice = next(i for i in qbo.sim.all("Invoice") if i["Balance"] > 0
                   and i["CurrencyRef"]["value"] == "USD")
    owed = Decimal(str(invoice["Balance"])).quantize(Decimal("0.01"))
    today = datetime.now(UTC).date().isoformat()
    (tmp_path / "bank.csv").write_text(
        f"Ref,Date,Amount,Cur,From,Text\nB-9,{today},{owed},USD,Somebody Unknown,thanks\n",
        encoding="utf-8")
    write_config(tmp_path, store_url, config_body(qbo) + BANK)
    assert cli(capsys, "sync", "--no-progress")[0] == 0
    assert cli(capsys, "reconcile")[0] == 0
    # nobody's money: not applied, and no match confident enough to be the matcher's
    code, out, err = cli(capsys, "apply-payment", "bank:B-9", f"books:invoice:{invoice['Id']}")
    assert code == 0, err
    assert f"Applied {owed:,} USD of bank:bank_transaction:B-9" in out
    assert cli(capsys, "reconcile")[0] == 0
    before, after = _usd(capsys)
    assert after["cash_received"] == before["cash_received"]
    applied = Decimal(after["cash_applied"]) - Decimal(before["cash_applied"])
    assert applied == owed  # confirmed by the coordinator, awaiting QuickBooks' confirmation
    received = Decimal(after["cash_received"])
    assert after["match_rate_percent"] == str(
        (Decimal(after["cash_applied"]) * 100 / received).quantize(Decimal("0.1")))
