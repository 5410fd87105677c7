"""Control totals: each sync records what it read, stored, quarantined and skipped per
entity and currency, compares the source's own totals (a CSV control-total row, a
QuickBooks COUNT query) and raises an ``incomplete_sync`` finding with both figures
when the hub received less; a later complete run resolves it. Through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.config import load_config
from hub.money import from_minor_units
from hub.store import open_store
from hub.store.schema import findings, records
from plugins.quickbooks.simulator import QboSimulatorServer
from tests.support.hub import cli, write_config
from tests.support.qbo import config_body

BANK = """\
[connectors.bank]
type = "csv"

[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
thousands = ","
defaults = { currency = "USD" }
columns = { booked_date = "Date", description = "Description", reference = "Reference", \
amount = "Amount" }
control_total = { column = "Date", matches = "^Total$", amount = "Amount", count = "Description" }
"""

ROWS = [
    "Date,Description,Reference,Amount",
    "2026-10-01,ACME Corp payment,R1,\"1,100.00\"",
    "2026-10-02,Globex payment,R2,250.50",
    "2026-10-03,Bank fee,R3,-10.00",
]


def _file(folder: Path, rows: list[str], trailer: str) -> None:
    (folder / "bank.csv").write_text("\n".join([*rows, trailer]) + "\n", encoding="utf-8")


def _incomplete(config: Path, store_url: str) -> list[dict[str, object]]:
    engine = open_store(store_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(findings).where(findings.c.kind == "incomplete_sync")
                .order_by(findings.c.id))]
    finally:
        engine.dispose()


def _flat(text: str) -> str:
    """The words of ``text``, table borders left out."""
    return " ".join(text.translate({ord(c): " " for c in "│┃"}).split())


@pytest.fixture
def bank(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_config(tmp_path, store_url, BANK)


def test_a_file_whose_control_row_agrees_raises_nothing(
        bank: Path, tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _file(tmp_path, ROWS, "Total,3 transactions,,\"1,340.50\"")
    code, out, err = cli(capsys, "sync")
    assert code == 0, out + err
    assert _incomplete(bank, store_url) == []
    code, out, _ = cli(capsys, "status")
    assert code == 0
    flat = _flat(out)
    assert ("bank/bank_transaction: agrees with bank.csv line 5: control-total row "
            "(3 records, USD 1,340.50)") in flat
    # the totals table: 3 read and stored, the sum; the trailer counted as skipped
    assert "bank bank_transaction USD 3 3 0 0 1,340.50" in flat
    assert "bank bank_transaction - 0 0 0 1" in flat
    assert max(len(line) for line in out.splitlines()) <= 80  # piped: 80 columns, no loss
    code, out, _ = cli(capsys, "reconcile")
    assert _incomplete(bank, store_url) == []


def test_a_quarantined_row_or_a_disagreeing_trailer_is_a_finding_with_both_figures(
        bank: Path, tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = [*ROWS[:2], "2026-13-45,Globex payment,R2,250.50", ROWS[3]]
    _file(tmp_path, bad, "Total,3 transactions,,\"1,340.50\"")
    code, out, err = cli(capsys, "sync")
    assert code == 3, out + err  # a row in quarantine
    assert ("bank/bank_transaction: does not agree with bank.csv line 5: control-total row: "
            "3 bank transactions stated, this sync stored 2 (1 fewer)") in _flat(out + err)
    [found] = _incomplete(bank, store_url)
    assert found["status"] == "open" and found["currency"] == "USD"
    assert found["money_at_stake_minor"] == 25050
    text = str(found["explanation"])
    assert "bank.csv line 5: control-total row" in text
    assert "3 bank transactions stated, this sync stored 2 (1 fewer)" in text
    assert ("USD 1,340.50 stated, this sync stored USD 1,090.00 "
            "(a difference of USD 250.50)") in text
    assert "1 quarantined" in text
    code, out, _ = cli(capsys, "findings", "show", str(found["id"]))
    assert "3 bank transactions stated, this sync stored 2 (1 fewer)" in _flat(out)
    code, out, _ = cli(capsys, "status")
    assert "bank/bank_transaction: DOES NOT AGREE with bank.csv line 5" in _flat(out)
    # a reconcile finds it again from the stored comparison: it stays open
    cli(capsys, "reconcile")
    [again] = _incomplete(bank, store_url)
    assert again["status"] == "open"
    # nothing changed, nothing changes: neither a reconcile nor the same sync again
    # touches the finding
    assert cli(capsys, "sync")[0] == 3
    cli(capsys, "reconcile")
    [same] = _incomplete(bank, store_url)
    assert same == found

    # the row mended: the next sync receives everything, and the finding is resolved
    _file(tmp_path, ROWS, "Total,3 transactions,,\"1,340.50\"")
    code, out, err = cli(capsys, "sync")
    assert code == 0, out + err
    [resolved] = _incomplete(bank, store_url)
    assert resolved["status"] == "resolved"
    cli(capsys, "reconcile")
    assert [f["status"] for f in _incomplete(bank, store_url)] == ["resolved"]

    # every row stored, but the trailer states another sum: a finding too, reopened
    _file(tmp_path, ROWS, "Total,3 transactions,,\"1,390.50\"")
    code, out, err = cli(capsys, "sync")
    [reopened] = _incomplete(bank, store_url)
    assert reopened["status"] == "open"
    assert ("USD 1,390.50 stated, this sync stored USD 1,340.50 "
            "(a difference of USD 50.00)") in str(reopened["explanation"])
    assert "fewer" not in str(reopened["explanation"])


def _quickbooks(tmp_path: Path, store_url: str, server: QboSimulatorServer) -> Path:
    return write_config(tmp_path, store_url, config_body(server))


def test_quickbooks_count_says_more_than_the_hub_received(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    config = _quickbooks(tmp_path, store_url, qbo)
    invoices = qbo.sim.all("Invoice")
    broken = invoices[3]["Id"]
    company = qbo.sim.company()
    with qbo.sim._lock:
        company.objects["Invoice"][broken]["CurrencyRef"] = {"value": "ZZZ"}
    code, out, err = cli(capsys, "sync")
    assert code == 3, out + err
    [found] = _incomplete(config, store_url)
    assert found["status"] == "open"
    text = str(found["explanation"])
    assert "QuickBooks: SELECT COUNT(*) FROM Invoice" in text
    assert (f"{len(invoices)} invoices stated, the hub holds {len(invoices) - 1} (1 fewer)"
            in text)
    code, out, _ = cli(capsys, "status")
    flat = _flat(out)
    assert "books/invoice: DOES NOT AGREE with QuickBooks: SELECT COUNT(*) FROM Invoice" in flat
    assert ("books/customer: agrees with QuickBooks: SELECT COUNT(*) FROM Customer WHERE "
            "Active IN (true, false)") in flat
    assert ("books/payment: agrees with QuickBooks: SELECT COUNT(*) FROM Payment WHERE "
            "TotalAmt > '0'") in flat

    # the invoice mended in QuickBooks: the next (incremental) sync reads it and agrees
    with qbo.sim._lock:
        obj = company.objects["Invoice"][broken]
        obj["CurrencyRef"] = {"value": "USD"}
        obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
        obj["MetaData"]["LastUpdatedTime"] = company.clock.stamp()
    code, out, err = cli(capsys, "sync")
    assert code == 0, out + err
    [resolved] = _incomplete(config, store_url)
    assert resolved["status"] == "resolved"


CURRENCY_FILE = """\
[connectors.bank]
type = "csv"

[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
thousands = ","
columns = { booked_date = "Date", description = "Description", amount = "Amount", \
currency = "Cur" }
control_total = { column = "Date", matches = "^Total$", amount = "Amount"CURRENCY }
"""


@pytest.mark.parametrize(("setting", "other", "expected"), [
    ("", "EUR", "EUR 18.25"),                     # the one currency of the rows
    (', currency = "EUR"', "CHF", "EUR 15.25"),   # named: the rows hold two
    ("", "CHF", None),                            # two currencies, none named
])
def test_the_stated_sum_is_compared_in_the_files_currency(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], setting: str, other: str,
        expected: str | None) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, store_url, CURRENCY_FILE.replace("CURRENCY", setting))
    (tmp_path / "bank.csv").write_text(
        f"Date,Description,Amount,Cur\n2026-10-01,A,10.00,EUR\n2026-10-02,B,5.25,EUR\n"
        f"2026-10-03,C,3.00,{other}\nTotal,,{'18.25' if other == 'EUR' else '15.25'},\n",
        encoding="utf-8")
    code, out, err = cli(capsys, "sync")
    assert code == 0, out + err
    if expected is None:
        assert "the control-total amount is not compared: the file holds several " \
               "currencies or none; set `control_total.currency`" in _flat(out + err)
    code, out, _ = cli(capsys, "status")
    line = "bank/bank_transaction: agrees with bank.csv line 5: control-total row"
    assert (f"{line} ({expected})" in _flat(out)) if expected else line not in _flat(out)


def test_a_stripe_sync_records_its_totals_without_a_comparison(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "demo", "--no-progress")  # syncs a simulated Stripe account
    assert code == 0, out
    config = tmp_path / "billing-hub-demo" / "billing-hub.toml"
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            held = conn.execute(
                sa.select(records.c.entity, records.c.currency, sa.func.count(),
                          sa.func.sum(records.c.amount_minor))
                .where(records.c.source == "stripe", records.c.amount_minor.is_not(None))
                .group_by(records.c.entity, records.c.currency)).all()
    finally:
        engine.dispose()
    assert held
    code, out, _ = cli(capsys, "--config", str(config), "status", "--connector", "stripe")
    flat = _flat(out)
    for entity, currency, n, minor in held:
        stored = from_minor_units(int(minor), currency)
        assert f"stripe {entity} {currency} {n} {n} 0 0 {stored:,}" in flat
    assert "stripe/" not in flat  # no comparison: Stripe states no totals
