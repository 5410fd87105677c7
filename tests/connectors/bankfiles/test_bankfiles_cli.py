"""Bank statements in camt.053 and MT940, through the CLI: sync, status, cash, reconcile.

The sample files in tests/data/bankfiles are our own, written to the ISO 20022
camt.053.001.08 message definition and the SWIFT MT940 field layout.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.store.schema import records
from tests.support.hub import cli, quarantined, stored, write_config

DATA = Path(__file__).resolve().parents[2] / "data" / "bankfiles"

INVOICES = """\
invoice_number,customer,currency,total,balance,issue_date,due_date,status
INV-1042,Weissmueller Antriebstechnik GmbH,EUR,4318.60,4318.60,2024-08-05,2024-09-04,open
RE-2001,Weissmueller Antriebstechnik GmbH,EUR,2975.00,2975.00,2024-08-10,2024-09-09,open
F300,Kestrel Outdoor Inc.,EUR,1000.00,1000.00,2024-08-20,2024-09-19,open
539007547034,Blue Heron Bakery LLC,EUR,540.00,540.00,2024-08-25,2024-09-24,open
"""
CONFIG = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "iso"
id_columns = ["invoice_number"]
[connectors.books.files.columns]
number = "invoice_number"
customer_name = "customer"
currency = "currency"
total = "total"
balance = "balance"
issue_date = "issue_date"
due_date = "due_date"
status = "status"

[connectors.bank]
type = "bankfiles"
path = "statements"
"""
CAMT = "camt053_eur_2024-09-03.xml"
MT940 = "mt940_eur_2024-09-04.sta"


def _raw(engine: Engine, external_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        raw = conn.execute(sa.select(records.c.raw).where(
            records.c.external_id == external_id)).scalar_one()
    return dict(orjson.loads(raw))


@pytest.fixture
def company(tmp_path: Path, store_url: str) -> Path:
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    folder = tmp_path / "statements"
    folder.mkdir()
    for name in (CAMT, MT940):
        shutil.copy(DATA / name, folder / name)
    return write_config(tmp_path, store_url, CONFIG)


def _sync(capsys: pytest.CaptureFixture[str], config: Path, expect: int = exits.OK) -> str:
    code, out, err = cli(capsys, "--config", str(config), "sync")
    assert code == expect, err
    return out


def _bank_row(out: str) -> list[str]:
    line = next(line for line in out.splitlines() if " bank " in f" {line} "
                and "bank_transaction" in line)
    return [c.strip() for c in line.strip("│ ").split("│")]


def test_camt053_and_mt940_entries_become_bank_transactions(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine,
        wide_console: None) -> None:
    out = _sync(capsys, company)
    assert _bank_row(out)[2:6] == ["8", "0", "0", "0"]  # new, updated, unchanged, quarantined
    lines = stored(engine, "bank_transaction", "bank")
    assert sorted(lines) == [
        "2024090300001", "2024090300002", "2024090300003", "2024090300004/1",
        "2024090300004/2", "2024090300005",
        "37040044/0532013000:2024090400001", "37040044/0532013000:2024090400002"]
    wm = lines["2024090300001"]
    assert (wm["booked_date"], wm["value_date"], wm["amount"], wm["currency"]) == (
        "2024-09-03", "2024-09-03", "4318.60", "EUR")
    assert wm["counterparty"] == "Weissmueller Antriebstechnik GmbH"
    assert wm["account"] == "DE89370400440532013000"
    assert wm["reference"] == "INV-1042"
    raw = _raw(engine, "2024090300001")
    assert raw["counterparty_iban"] == "DE02120300000000202051"
    assert raw["end_to_end_id"] == "WM-PAY-77812"
    assert raw["bank_reference"] == "2024090300001"
    assert raw["invoice_numbers"] == ["INV-1042"]
    assert raw["entry"]["NtryDtls"]["TxDtls"]["RltdPties"]["Dbtr"]["Pty"]["Nm"] == (
        "Weissmueller Antriebstechnik GmbH")
    rf = lines["2024090300002"]
    assert _raw(engine, "2024090300002")["creditor_reference"] == "RF07RE2001"
    assert rf["reference"] == "RE2001"
    assert _raw(engine, "2024090300002")["end_to_end_id"] is None  # NOTPROVIDED is no id
    fee = lines["2024090300003"]
    assert fee["amount"] == "-12.50" and _raw(engine, "2024090300003")["charges"] == "12.50"
    # a batch booking of 1,500.00 split into the two transactions it details
    assert [lines[f"2024090300004/{n}"]["amount"] for n in (1, 2)] == ["1000.00", "500.00"]
    assert lines["2024090300004/1"]["reference"] == "F300"
    returned = lines["2024090300005"]  # a returned direct debit: money out, with its reason
    assert returned["amount"] == "-49.00" and "reason AM04" in returned["description"]
    assert returned["counterparty"] == "Blue Heron Bakery LLC"
    mt = lines["37040044/0532013000:2024090400001"]
    assert (mt["amount"], mt["currency"], mt["booked_date"]) == ("540.00", "EUR", "2024-09-04")
    assert mt["counterparty"] == "BLUE HERON BAKERY LLC"
    mt_raw = _raw(engine, "37040044/0532013000:2024090400001")
    assert mt_raw["creditor_reference"] == "RF18539007547034"
    assert mt["reference"] == "539007547034"
    assert lines["37040044/0532013000:2024090400002"]["amount"] == "-25.00"

    # the same files again: nothing new, nothing changed
    assert _bank_row(_sync(capsys, company))[2:6] == ["0", "0", "8", "0"]
    code, out, _ = cli(capsys, "--config", str(company), "status")
    assert code == exits.OK
    status = next(line for line in out.splitlines()
                  if "bank_transaction" in line and "EUR" in line)
    assert status.split()[3:6] == ["8", "8", "0"]  # read, stored, quarantined
    assert "9,247.10" in status  # 8,732.10 (camt.053) + 515.00 (MT940)


def test_structured_references_match_invoices_at_top_confidence(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sync(capsys, company)
    code, _, err = cli(capsys, "--config", str(company), "reconcile")
    assert code == exits.OK, err
    code, out, _ = cli(capsys, "--config", str(company), "report", "-f", "json")
    assert code == exits.OK
    findings = {f["key"]: f for f in json.loads(out)["findings"]}
    expected = {
        "unapplied_payment:bank:2024090300001": "INV-1042",  # listed invoice number
        "unapplied_payment:bank:2024090300002": "RE-2001",  # RF07 RE20 01
        "unapplied_payment:bank:2024090300004/1": "F300",  # one part of a batch
        "unapplied_payment:bank:37040044/0532013000:2024090400001": "539007547034",  # MT940 RF
    }
    for key, number in expected.items():
        top = findings[key]["details"]["suggestions"][0]
        assert (top["numbers"], top["kind"], top["confidence"]) == ([number], "full", 0.98)
    code, out, _ = cli(capsys, "--config", str(company), "reconcile")
    assert code == exits.OK and "0 new" in out and "0 changed" in out


BAD_BALANCE = (DATA / CAMT).read_text("utf-8").replace(
    "<Amt Ccy=\"EUR\">9732.10</Amt>", "<Amt Ccy=\"EUR\">9742.10</Amt>")
BAD_IBAN = (DATA / CAMT).read_text("utf-8").replace(
    "DE02120300000000202051", "DE02120300000000202052", 1)
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&lol2;</Document>
"""
NO_BOOKING_DATE = (DATA / CAMT).read_text("utf-8").replace(
    "<BookgDt><Dt>2024-09-03</Dt></BookgDt>", "", 1)
XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&secret;</Document>
"""
TRUNCATED_MT940 = (DATA / MT940).read_text("latin-1").split(":62F:")[0]


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("balance.xml", BAD_BALANCE, "statement STMT-EUR-20240903 does not add up: opening balance "
     "1000.00 + entries 8732.10 = 9732.10, but the closing balance is 9742.10 EUR "
     "(difference 10.00)"),
    ("iban.xml", BAD_IBAN, "counterparty IBAN 'DE02120300000000202052' is not valid"),
    ("bomb.xml", BOMB, "refused unsafe XML"),
    ("xxe.xml", XXE, "refused unsafe XML"),
    ("nodate.xml", NO_BOOKING_DATE, "entry 1: required element BookgDt is missing"),
    ("broken.xml", (DATA / CAMT).read_text("utf-8")[:900], "not well-formed XML"),
    ("short.sta", TRUNCATED_MT940, "truncated MT940 statement, no :62F: balance"),
])
def test_a_bad_file_or_entry_is_quarantined_with_a_reason_and_the_rest_goes_on(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine,
        name: str, content: str, reason: str, wide_console: None) -> None:
    folder = company.parent / "statements"
    (folder / CAMT).unlink()
    (folder / name).write_text(content, encoding="utf-8")
    _sync(capsys, company, exits.QUARANTINED)
    held = quarantined(engine)
    (entry,) = [q for q in held if reason in q["reason"]]
    assert entry["raw"] and entry["raw"] != "{}"  # the raw content is kept with the reason
    _sync(capsys, company, exits.QUARANTINED)  # again: the same entries, nothing added
    assert [q["id"] for q in quarantined(engine)] == [q["id"] for q in held]
    lines = stored(engine, "bank_transaction", "bank")
    assert "37040044/0532013000:2024090400001" in lines  # the MT940 file still came in
    if name == "balance.xml":  # the entries of a statement that does not add up come in
        assert "2024090300001" in lines and "2024090300005" in lines
    if name in ("iban.xml", "nodate.xml"):  # one bad entry: the statement's others came in
        assert "2024090300001" not in lines and "2024090300002" in lines


def test_a_camt054_then_the_camt053_of_the_same_day_books_each_entry_once(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine,
        wide_console: None) -> None:
    folder = company.parent / "statements"
    (folder / CAMT).unlink()
    shutil.copy(DATA / "camt054_eur_2024-09-03.xml", folder / "camt054_eur_2024-09-03.xml")
    assert _bank_row(_sync(capsys, company))[2:6] == ["4", "0", "0", "0"]  # 2 camt.054 + MT940
    assert sorted(k for k in stored(engine, "bank_transaction", "bank")
                  if not k.startswith("37040044")) == ["2024090300001", "2024090300002"]
    shutil.copy(DATA / CAMT, folder / CAMT)  # the end-of-day statement names the same entries
    out = _sync(capsys, company)
    assert _bank_row(out)[2:6] == ["4", "0", "4", "0"]
    assert "2 entries read again from another file (a camt.054 and its camt.053)" in out
    assert len(stored(engine, "bank_transaction", "bank")) == 8


def test_format_and_pattern_choose_the_files_and_their_reader(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine,
        wide_console: None) -> None:
    folder = company.parent / "statements"
    (folder / MT940).rename(folder / "statement.txt")
    text = company.read_text("utf-8") + 'pattern = "*.txt"\nformat = "mt940"\n'
    company.write_text(text, "utf-8")
    assert _bank_row(_sync(capsys, company))[2:6] == ["2", "0", "0", "0"]
    assert sorted(stored(engine, "bank_transaction", "bank")) == [
        "37040044/0532013000:2024090400001", "37040044/0532013000:2024090400002"]


def test_a_statement_missing_between_two_is_reported_once(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine) -> None:
    later = (DATA / CAMT).read_text("utf-8").replace(
        "<ElctrncSeqNb>171<", "<ElctrncSeqNb>173<").replace(
        "STMT-EUR-20240903", "STMT-EUR-20240905").replace("20240903000", "20240905000")
    (company.parent / "statements" / "camt053_eur_2024-09-05.xml").write_text(later, "utf-8")
    for _ in range(2):
        _sync(capsys, company, exits.QUARANTINED)
        (gap,) = quarantined(engine)
        assert gap["reason"] == (
            "statements of account DE89370400440532013000 skip a number: 171 "
            "(camt053_eur_2024-09-03.xml#stmt1) is followed by 173 "
            "(camt053_eur_2024-09-05.xml#stmt1); statement 172 is missing: ask the bank for it")
    assert len(stored(engine, "bank_transaction", "bank")) == 14


BAI2 = "bai2_usd_2024-09-05.bai"


def test_a_bai2_report_s_details_come_in_and_its_control_totals_are_checked(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine,
        wide_console: None) -> None:
    folder = company.parent / "statements"
    for name in (CAMT, MT940):
        (folder / name).unlink()
    shutil.copy(DATA / BAI2, folder / BAI2)
    assert _bank_row(_sync(capsys, company))[2:6] == ["3", "0", "0", "0"]
    lines = stored(engine, "bank_transaction", "bank")
    got = {k: (v["booked_date"], v["amount"], v["currency"], v["description"])
           for k, v in lines.items()}
    assert got == {
        "4120556677:BNK240905001": ("2024-09-04", "1000.00", "USD",
                                    "WIRE IN KESTREL OUTDOOR INC INV F301"),
        "4120556677:BNK240905002": ("2024-09-04", "60.00", "USD",
                                    "ACH CREDIT BLUE HERON BAKERY PMT F245"),
        "4120556677:BNK240905003": ("2024-09-04", "-5.50", "USD", "CHECK PAID 1187")}
    assert _bank_row(_sync(capsys, company))[2:6] == ["0", "0", "3", "0"]
    broken = (DATA / BAI2).read_text("latin-1").replace("49,712000,8/", "49,712100,8/")
    (folder / BAI2).write_text(broken, "latin-1")
    _sync(capsys, company, exits.QUARANTINED)
    (held,) = quarantined(engine)
    assert "BAI2 parser refused it: IntegrityException: Invalid account control total" in (
        held["reason"])


OFX = "ofx_usd_2024-09-06.ofx"


def test_an_ofx_statement_s_transactions_come_in_by_their_fitid(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine,
        wide_console: None) -> None:
    folder = company.parent / "statements"
    for name in (CAMT, MT940):
        (folder / name).unlink()
    shutil.copy(DATA / OFX, folder / OFX)
    assert _bank_row(_sync(capsys, company))[2:6] == ["2", "0", "0", "0"]
    lines = stored(engine, "bank_transaction", "bank")
    got = {k: (v["booked_date"], v["value_date"], v["amount"], v["currency"], v["counterparty"])
           for k, v in lines.items()}
    assert got == {
        "4120556677:202409060001": ("2024-09-06", "2024-09-07", "860.50", "USD",
                                    "KESTREL OUTDOOR INC"),
        "4120556677:202409060002": ("2024-09-06", None, "-15.00", "USD", "INCOMING WIRE FEE")}
    assert _bank_row(_sync(capsys, company))[2:6] == ["0", "0", "2", "0"]
    broken = (DATA / OFX).read_text("utf-8").replace("<CURDEF>USD</CURDEF>", "")
    (folder / OFX).write_text(broken, "utf-8")
    _sync(capsys, company, exits.QUARANTINED)
    (held,) = quarantined(engine)
    assert held["reason"].startswith(f"{OFX}: OFX parser refused it: OFXSpecError")


def test_a_camt054_entry_the_bank_has_not_booked_is_left_out_and_counted(
        company: Path, capsys: pytest.CaptureFixture[str], engine: Engine,
        wide_console: None) -> None:
    folder = company.parent / "statements"
    (folder / CAMT).unlink()
    pending = (DATA / "camt054_eur_2024-09-03.xml").read_text("utf-8").replace(
        "<Sts><Cd>BOOK</Cd></Sts>", "<Sts><Cd>PDNG</Cd></Sts>", 1)
    (folder / "camt054.xml").write_text(pending, "utf-8")
    out = _sync(capsys, company)
    assert "1 entries not booked yet (camt status PDNG, INFO or FUTR)" in out
    assert "2024090300001" not in stored(engine, "bank_transaction", "bank")
    assert "2024090300002" in stored(engine, "bank_transaction", "bank")
