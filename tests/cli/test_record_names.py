"""Records are named SOURCE:ENTITY:ID; the short SOURCE:ID only when one record answers;
link and unlink for customers, invoices and payments (issue 17)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.config import load_config
from hub.store import open_store
from hub.store.schema import audit_log, findings
from tests.support.hub import cli, write_config

# A ledger that numbers each entity on its own, as QuickBooks does: invoice 9 and
# payment 9 are two records. A shop keeps copies of the invoices under other customer
# records; the bank statement has the money.
BODY = """
[connectors.ledger]
type = "csv"
[[connectors.ledger.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["Id"]
[connectors.ledger.files.columns]
name = "Name"
[[connectors.ledger.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "iso"
id_columns = ["Id"]
[connectors.ledger.files.columns]
number = "No"
customer_ref = "CustomerId"
customer_name = "Customer"
issue_date = "Date"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"
[[connectors.ledger.files]]
path = "payments.csv"
entity = "payment"
date_format = "iso"
id_columns = ["Id"]
[connectors.ledger.files.columns]
received_date = "Date"
amount = "Amount"
currency = "Cur"
payer_name = "Payer"

[connectors.shop]
type = "csv"
[[connectors.shop.files]]
path = "shop-customers.csv"
entity = "customer"
id_columns = ["Id"]
[connectors.shop.files.columns]
name = "Name"
[[connectors.shop.files]]
path = "shop-invoices.csv"
entity = "invoice"
date_format = "iso"
id_columns = ["No"]
[connectors.shop.files.columns]
number = "No"
customer_ref = "CustomerId"
customer_name = "Customer"
issue_date = "Date"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
date_format = "iso"
id_columns = ["Id"]
[connectors.bank.files.columns]
booked_date = "Date"
amount = "Amount"
currency = "Cur"
counterparty = "From"
"""

FILES = {
    "customers.csv": "Id,Name\n7,Wayne Enterprises\n8,Acme Corp\n",
    "invoices.csv": "Id,No,CustomerId,Customer,Date,Cur,Total,Open,Status\n"
                    "9,INV-9,7,Wayne Enterprises,2026-03-01,USD,200.00,200.00,open\n"
                    "6,INV-6,8,Acme Corp,2026-03-02,USD,120.00,120.00,open\n",
    # 9 pays INV-6; P-2 and P-3 look like one payment booked twice; P-4 reached the
    # bank less a wire fee
    "payments.csv": "Id,Date,Amount,Cur,Payer\n"
                    "9,2026-03-20,120.00,USD,Acme Corp\n"
                    "P-2,2026-03-25,77.00,USD,Nobody Ltd\n"
                    "P-3,2026-03-26,77.00,USD,Nobody Ltd\n"
                    "P-4,2026-03-10,300.00,USD,Stark Industries\n",
    "shop-customers.csv": "Id,Name\nC1,WE Holding Corp\nC2,Acme Corporation\n",
    "shop-invoices.csv": "No,CustomerId,Customer,Date,Cur,Total,Open,Status\n"
                         "9,C1,WE Holding Corp,2026-03-01,USD,200.00,200.00,open\n"
                         "6,C2,Acme Corporation,2026-03-02,USD,120.00,120.00,open\n",
    # B-1 is payment 9 reaching the bank; B-2 is P-4 less a 5.00 fee
    "bank.csv": "Id,Date,Amount,Cur,From\n"
                "B-1,2026-03-21,120.00,USD,Acme Corp\n"
                "B-2,2026-03-11,295.00,USD,Stark Ind\n",
}


@pytest.fixture
def company(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = write_config(tmp_path, store_url, BODY)
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    return config


def _findings(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    """The report's findings (the open and acknowledged ones) by kind and first record."""
    code, out, _ = cli(capsys, "report", "-f", "json")
    assert code == exits.OK
    return {f"{f['kind']} {_first(f['details'])}": f for f in json.loads(out)["findings"]}


def _first(details: dict[str, Any]) -> str:
    return str(details.get("left") or details.get("record") or details["records"][0])


def _cash(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    code, out, _ = cli(capsys, "cash", "-f", "json")
    assert code == exits.OK
    return {r["record"]: r for r in json.loads(out)["receipts"]}


def test_a_short_name_two_records_answer_to_is_refused_with_both(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "apply-payment", "ledger:9", "ledger:6")
    assert code == exits.FAILED and "Applied" not in out
    assert "ledger:9 is ambiguous: ledger:invoice:9 or ledger:payment:9" in err
    assert "SOURCE:ENTITY:ID" in err
    # named in full, payment 9 is the payment (ledger:6 names one record: accepted); the
    # ledger is a CSV export, which cannot take the application
    code, _, err = cli(capsys, "apply-payment", "ledger:payment:9", "ledger:6")
    flat = " ".join(err.split())
    assert code == exits.FAILED
    assert "cannot apply ledger:payment:9 to ledger:invoice:6: connector 'ledger'" in flat
    code, _, err = cli(capsys, "link", "ledger:9", "shop:9")
    assert code == exits.FAILED and "ledger:invoice:9 or ledger:payment:9" in err
    code, _, err = cli(capsys, "link", "ledger:invoice:7", "shop:9")
    assert code == exits.FAILED and "no record 'ledger:invoice:7'" in err
    code, out, _ = cli(capsys, "aliases", "add", "ledger:7", "WE Holding")
    assert code == exits.OK and "alias of ledger:customer:7 (Wayne Enterprises)" in out
    code, out, _ = cli(capsys, "aliases", "list", "ledger:customer:7")
    assert code == exits.OK and "ledger:customer:7 (Wayne Enterprises)" in out


def test_reports_and_listings_name_records_with_their_entity(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "reconcile")[0] == exits.OK
    found = _findings(capsys)
    mismatch = found["customer_mismatch ledger:invoice:9"]["details"]
    assert mismatch["right"] == "shop:invoice:9"
    duplicate = found["duplicate_payment ledger:payment:P-2"]["details"]
    assert duplicate["records"] == ["ledger:payment:P-2", "ledger:payment:P-3"]
    assert duplicate["decision"]["original"] == "ledger:payment:P-2"
    unapplied = found["unapplied_payment bank:bank_transaction:B-2"]["details"]
    assert unapplied["decision"]["record"] == "bank:bank_transaction:B-2"
    suggested = found["unapplied_payment ledger:payment:9"]["details"]["suggestions"][0]
    assert suggested["invoices"][0] in ("ledger:invoice:6", "shop:invoice:6")

    cash = _cash(capsys)
    assert cash["bank:bank_transaction:B-1"]["kind"] == "booked_elsewhere"
    assert "the payment ledger:payment:9" in cash["bank:bank_transaction:B-1"]["reason"]
    fid = found["customer_mismatch ledger:invoice:9"]["id"]
    code, out, _ = cli(capsys, "findings", "show", str(fid))
    assert code == exits.OK and "ledger:invoice:9" in out and "shop:invoice:9" in out


def test_link_and_unlink_customers(company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, "reconcile")
    found = _findings(capsys)
    assert found["customer_mismatch ledger:invoice:9"]["status"] == "open"
    assert "customer_mismatch ledger:invoice:6" not in found  # Acme Corp, Acme Corporation

    code, out, _ = cli(capsys, "link", "ledger:customer:7", "shop:C1")
    assert code == exits.OK
    assert "ledger:customer:7 and shop:customer:C1 are linked" in out
    code, out, _ = cli(capsys, "unlink", "ledger:8", "shop:customer:C2")
    assert code == exits.OK
    assert "ledger:customer:8 and shop:customer:C2 will never be linked" in out
    cli(capsys, "reconcile")
    found = _findings(capsys)
    # one customer, whatever the names: the mismatch resolves
    assert "customer_mismatch ledger:invoice:9" not in found
    # two customers, however alike the names: the invoices linked across them disagree
    apart = found["customer_mismatch ledger:invoice:6"]
    assert apart["status"] == "open"
    assert "A person said these are two customers" in apart["explanation"]

    assert cli(capsys, "unlink", "ledger:customer:7", "shop:customer:C1")[0] == exits.OK
    cli(capsys, "reconcile")
    assert _findings(capsys)["customer_mismatch ledger:invoice:9"]["status"] == "open"
    engine = open_store(load_config(company).store_url())
    try:
        with engine.connect() as conn:
            said = conn.execute(sa.select(audit_log.c.action, audit_log.c.subject)
                                .where(audit_log.c.action.like("link.%"))
                                .order_by(audit_log.c.id)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in said] == [
        ("link.made", "ledger:customer:7 shop:customer:C1"),
        ("link.refused", "ledger:customer:8 shop:customer:C2"),
        ("link.refused", "ledger:customer:7 shop:customer:C1")]


def test_link_and_unlink_invoices(company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, "reconcile")
    assert "missing_in_other_system ledger:invoice:9" not in _findings(capsys)
    # the shop's 9 is not the ledger's INV-9, whatever the numbers say
    assert cli(capsys, "unlink", "ledger:invoice:9", "shop:invoice:9")[0] == exits.OK
    cli(capsys, "reconcile")
    found = _findings(capsys)
    assert found["missing_in_other_system ledger:invoice:9"]["status"] == "open"
    assert "customer_mismatch ledger:invoice:9" not in found
    assert cli(capsys, "link", "ledger:invoice:9", "shop:invoice:9")[0] == exits.OK
    cli(capsys, "reconcile")
    found = _findings(capsys)
    assert "missing_in_other_system ledger:invoice:9" not in found
    assert found["customer_mismatch ledger:invoice:9"]["status"] == "open"


def test_link_and_unlink_payments_and_bank_lines(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, "reconcile")
    cash = _cash(capsys)
    assert cash["ledger:payment:P-3"]["kind"] == "duplicate_of"
    assert cash["bank:bank_transaction:B-2"]["kind"] != "booked_elsewhere"

    # P-4 reached the bank as B-2, less a fee: the bank line is not a receipt of its own
    assert cli(capsys, "link", "bank:B-2", "ledger:payment:P-4")[0] == exits.OK
    # B-1 is not payment 9, though amount and date fit; P-3 is a second payment
    assert cli(capsys, "unlink", "bank:B-1", "ledger:9")[0] == exits.FAILED  # ambiguous
    assert cli(capsys, "unlink", "bank:B-1", "ledger:payment:9")[0] == exits.OK
    assert cli(capsys, "unlink", "ledger:P-2", "ledger:P-3")[0] == exits.OK
    cli(capsys, "reconcile")
    cash = _cash(capsys)
    assert cash["bank:bank_transaction:B-2"]["kind"] == "booked_elsewhere"
    assert cash["bank:bank_transaction:B-2"]["reason"] == (
        "the payment ledger:payment:P-4 (linked by hand)")
    assert cash["bank:bank_transaction:B-1"]["kind"] != "booked_elsewhere"
    assert cash["ledger:payment:P-3"]["kind"] != "duplicate_of"
    found = _findings(capsys)
    assert "duplicate_payment ledger:payment:P-2" not in found
    assert "unapplied_payment bank:bank_transaction:B-2" not in found
    assert found["unapplied_payment bank:bank_transaction:B-1"]["status"] == "open"

    # two payments linked: the later one is the earlier one again
    assert cli(capsys, "link", "ledger:P-3", "ledger:P-2")[0] == exits.OK
    cli(capsys, "reconcile")
    p3 = _cash(capsys)["ledger:payment:P-3"]
    assert p3["kind"] == "booked_elsewhere"
    assert p3["reason"] == "the payment ledger:payment:P-2 (linked by hand)"


def test_link_refuses_what_cannot_be_the_same_thing(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "link", "ledger:invoice:9", "shop:customer:C1")
    assert code == exits.FAILED
    assert "ledger:invoice:9 is an invoice and shop:customer:C1 a customer" in err
    code, _, err = cli(capsys, "link", "ledger:invoice:9", "ledger:invoice:6")
    assert code == exits.FAILED and "are of the same system" in err
    code, _, err = cli(capsys, "link", "ledger:customer:7", "ledger:customer:7")
    assert code == exits.FAILED and "cannot be linked to itself" in err


def test_findings_stored_with_the_old_names_are_found_again_not_reopened(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "reconcile")
    first = re.search(r"(\d+) finding\(s\) hold: \1 new", out)
    assert first is not None
    held = int(first.group(1))
    # the store as the hub before SOURCE:ENTITY:ID left it: the same keys, and details
    # naming records SOURCE:ID
    engine = open_store(load_config(company).store_url())
    try:
        with engine.begin() as conn:
            for fid, details in conn.execute(sa.select(findings.c.id, findings.c.details)).all():
                old = re.sub(r"\b(ledger|shop|bank):(customer|invoice|payment|bank_transaction):",
                             r"\1:", details)
                conn.execute(findings.update().where(findings.c.id == fid).values(details=old))
    finally:
        engine.dispose()
    code, out, _ = cli(capsys, "reconcile")
    assert code == exits.OK
    assert (f"{held} finding(s) hold: 0 new, 0 reopened, {held} changed, 0 unchanged; "
            "0 resolved") in " ".join(out.split())
    code, out, _ = cli(capsys, "reconcile")
    assert f"0 new, 0 reopened, 0 changed, {held} unchanged; 0 resolved" in " ".join(out.split())
