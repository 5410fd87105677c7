"""The coordinator's commands: reconcile, findings, link, apply-payment, report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.cli.app import run
from hub.config import load_config
from hub.store import open_store
from hub.store.schema import audit_log, findings, outbox
from tests.support import ledger
from tests.support.company import BODY, write_company
from tests.support.hub import cli, write_config


@pytest.fixture
def company(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_company(tmp_path)
    config = write_config(tmp_path, store_url, BODY)
    assert run(["sync", "--no-progress"]) == exits.OK
    return config


def _finding_id(config: Path, key: str) -> int:
    engine = open_store(load_config(config).store_url())
    with engine.connect() as conn:
        value = conn.execute(sa.select(findings.c.id).where(findings.c.key == key)).scalar_one()
    engine.dispose()
    return int(value)


def test_reconcile_list_show_and_lifecycle(company: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "reconcile")
    assert code == exits.OK and "new" in out and "unapplied_payment" in out
    code, out, _ = cli(capsys, "reconcile")
    assert ": 0 new," in out and "; 0 resolved" in out

    code, out, _ = cli(capsys, "findings", "list")
    lines = [ln for ln in out.splitlines() if "│" in ln and ln.split("│")[1].strip().isdigit()]
    assert "status_mismatch" in lines[0]  # $1,250.00 at stake: the most money first
    code, out, _ = cli(capsys, "findings", "list", "--kind", "duplicate_payment")
    assert "Nobody Ltd" in out and "status_mismatch" not in out
    code, _, err = cli(capsys, "findings", "list", "--kind", "nonsense")
    assert code == exits.USAGE and "--kind" in err and "'nonsense'" in err
    assert "duplicate_payment" in err and "status_mismatch" in err  # the valid kinds
    code, out, err = cli(capsys, "findings", "list", "--status", "bogus")
    assert code == exits.USAGE and out == "" and "--status" in err and "'bogus'" in err
    assert "open, acknowledged, resolved, ignored" in err
    code, out, _ = cli(capsys, "findings", "list", "--min-amount", "1000")
    assert "status_mismatch" in out and "due_date_mismatch" not in out

    fid = _finding_id(company, "amount_mismatch:books:INV-1002|shop:1002")
    code, out, _ = cli(capsys, "findings", "show", str(fid))
    assert code == exits.OK
    assert "books:invoice:INV-1002" in out and "shop:invoice:1002" in out
    total_row = next(ln for ln in out.splitlines() if " total " in ln)
    assert "≠" in total_row and "500.00" in total_row and "550.00" in total_row

    assert cli(capsys, "findings", "ack", str(fid), "--note", "asked shop")[0] == exits.OK
    code, _, err = cli(capsys, "findings", "ignore", str(fid))
    assert code == exits.USAGE and "--note" in err
    assert cli(capsys, "findings", "ignore", str(fid), "--note", "known")[0] == exits.OK
    code, out, _ = cli(capsys, "findings", "show", str(fid))
    assert "ignored" in out and "finding.acknowledged" in out and "asked shop" in out


def test_findings_list_and_show_as_json(company: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "reconcile")[0] == exits.OK
    report = json.loads(cli(capsys, "report", "-f", "json")[1])["findings"]
    code, out, _ = cli(capsys, "findings", "list", "--json")
    listed = json.loads(out)
    assert code == exits.OK and len(listed) == len(report) >= 3
    # the same fields as the report's, the most money at stake first
    assert {f["id"]: f for f in listed} == {f["id"]: f for f in report}
    assert listed[0]["kind"] == "status_mismatch" and listed[0]["money_at_stake"] == "1250.00"
    code, out, _ = cli(capsys, "findings", "list", "--json", "--kind", "duplicate_payment")
    assert [f["customer"] for f in json.loads(out)] == ["Nobody Ltd"]
    assert json.loads(cli(capsys, "findings", "list", "--json", "-s", "ignored")[1]) == []

    fid = _finding_id(company, "amount_mismatch:books:INV-1002|shop:1002")
    assert cli(capsys, "findings", "ack", str(fid), "--note", "asked shop")[0] == exits.OK
    code, out, _ = cli(capsys, "findings", "show", str(fid), "--json")
    shown = json.loads(out)
    assert code == exits.OK and shown["id"] == fid and shown["status"] == "acknowledged"
    assert shown["note"] == "asked shop" and shown["kind"] == "amount_mismatch"
    assert [(h["change"], h["status"], h["note"]) for h in shown["history"]] == [
        ("found", "open", None), ("status", "acknowledged", "asked shop")]


def test_link_and_unlink_by_hand(company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, "reconcile")
    code, out, _ = cli(capsys, "link", "books:INV-1007", "shop:1099")
    assert code == exits.OK and "are linked" in out
    code, out, _ = cli(capsys, "reconcile")
    # now compared as one sale: amount, due date and customer differ; nothing is missing
    assert ": 3 new," in out and "; 2 resolved" in out
    code, out, _ = cli(capsys, "findings", "list", "--kind", "customer_mismatch")
    assert "'Stark Industries' in books but to 'Soylent' in shop" in out
    code, _, err = cli(capsys, "link", "books:NOPE", "shop:1099")
    assert code == exits.FAILED and "no record 'books:NOPE'" in err


def _finding(config: Path, key: str) -> tuple[str, str]:
    engine = open_store(load_config(config).store_url())
    with engine.connect() as conn:
        status, text = conn.execute(sa.select(findings.c.status, findings.c.explanation)
                                    .where(findings.c.key == key)).one()
    engine.dispose()
    return str(status), str(text)


def test_apply_payment_refuses_a_system_that_cannot_apply_payments(
    company: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, "reconcile")
    code, out, err = cli(capsys, "apply-payment", "bank:P3", "books:INV-1005")
    assert code == exits.FAILED and "Applied" not in out
    flat = " ".join(err.split())
    assert ("cannot apply bank:payment:P3 to books:invoice:INV-1005: connector 'books' "
            "(type csv) cannot apply payments to its invoices: its capabilities are customer "
            "(pull), invoice (pull), payment (pull), bank_transaction (pull)") in flat
    assert "record the payment in books itself" in " ".join(err.split())
    engine = open_store(load_config(company).store_url())
    with engine.connect() as conn:
        assert conn.execute(sa.select(outbox)).all() == []
        assert conn.execute(sa.select(audit_log).where(
            audit_log.c.action.in_(("payment.applied", "alias.added")))).all() == []
    engine.dispose()
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK and "Nothing to send: the outbox is empty." in out
    cli(capsys, "reconcile")
    assert _finding(company, "unapplied_payment:bank:P3")[0] == "open"


def test_apply_payment_queues_once_and_the_finding_waits_for_the_ledger(
    company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    ledger.install(tmp_path / "site", monkeypatch)
    write_config(tmp_path, load_config(company).store_url(),
                 BODY.replace('[connectors.books]\ntype = "csv"',
                              '[connectors.books]\ntype = "csv-ledger"', 1))
    key = "unapplied_payment:bank:P3"
    cli(capsys, "reconcile")
    code, out, _ = cli(capsys, "apply-payment", "bank:P3", "books:INV-1005")
    assert code == exits.OK and "Applied 98.00 USD" in out and "queued for books" in out
    assert "once a sync of books confirms it" in " ".join(out.split())
    code, out, err = cli(capsys, "apply-payment", "bank:P3", "books:INV-1005")
    assert code == exits.FAILED and "nothing left to apply" in err
    code, _, err = cli(capsys, "apply-payment", "bank:P1", "books:INV-1003")
    assert code == exits.FAILED and "USD but books:invoice:INV-1003 is in EUR" in err
    code, _, err = cli(capsys, "apply-payment", "bank:P1", "books:INV-1008", "--amount",
                       "900")
    assert code == exits.FAILED and "balance of only $200.00" in err

    engine = open_store(load_config(company).store_url())
    with engine.connect() as conn:
        (row,) = conn.execute(sa.select(outbox)).all()
        assert row.target == "books" and row.status == "pending"
        assert row.entity == "payment_application" and row.operation == "apply"
        assert row.idempotency_key.startswith("bh-apply-")
        assert json.loads(row.payload)["amount"] == "98.00"
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(
            audit_log.c.action == "payment.applied")).scalar() == 1
    engine.dispose()

    # queued: not applied yet, and the finding says so
    code, out, _ = cli(capsys, "reconcile")
    assert "0 resolved" in out
    status, text = _finding(company, key)
    assert status == "open" and text.startswith(
        "Applied, awaiting confirmation: 98.00 USD to books:invoice:INV-1005 (INV-1005), queued "
        "for books, not sent yet (`billing-hub push send books`). $98.00 from Hooli")
    # sent: the ledger has it, once; still waiting for a sync to read it back
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK
    assert cli(capsys, "push", "send", "--no-progress")[1].startswith("Nothing to send")
    assert [(a["operation"], a["invoice"], a["amount"], a["receipt"])
            for a in ledger.applied(tmp_path)] == [("apply", "INV-1005", "98.00", "bank:P3")]
    cli(capsys, "reconcile")
    status, text = _finding(company, key)
    assert status == "open" and ("98.00 USD to books:invoice:INV-1005 (INV-1005), sent to "
                                 "books; the next sync of books confirms it.") in text
    # a sync that reads the invoice unchanged confirms nothing
    cli(capsys, "sync", "--no-progress")
    cli(capsys, "reconcile")
    assert _finding(company, key)[0] == "open"
    # the ledger's next export shows the payment: confirmed, and the finding resolves
    books = tmp_path / "books.csv"
    books.write_text(books.read_text().replace("USD,99.00,99.00,open", "USD,99.00,1.00,open"))
    cli(capsys, "sync", "--no-progress")
    code, out, _ = cli(capsys, "reconcile")
    assert "1 resolved because the records agree again" in out
    assert _finding(company, key)[0] == "resolved"
    code, _, err = cli(capsys, "apply-payment", "bank:P3", "books:INV-1005")
    assert code == exits.FAILED and "nothing left to apply: bank:payment:P3 has $0.00" in err


def test_report_formats(company: Path, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "payments.csv").write_text(
        (tmp_path / "payments.csv").read_text()
        + "P8,2026-03-27,5.00,USD,=HYPERLINK(1)<script>alert(1)</script>,,\n",
        encoding="utf-8")
    cli(capsys, "sync", "--no-progress")
    cli(capsys, "reconcile")

    code, out, _ = cli(capsys, "report", "--since", "2026-03-01", "--until", "2026-04-30")
    assert code == exits.OK and "status_mismatch" in out and "DSO" in out

    assert cli(capsys, "report", "-f", "html", "-o", "r.html")[0] == exits.OK
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<script>" not in html
    assert "&lt;script&gt;" in html and "http" not in html.replace("http-equiv", "")
    assert "status mismatch (1)" in html

    assert cli(capsys, "report", "-f", "csv", "-o", "r.csv")[0] == exits.OK
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig"))))
    nasty = next(r for r in rows if "HYPERLINK" in r["customer"])
    assert nasty["customer"] == "'=HYPERLINK(1)<script>alert(1)</script>"
    mismatch = next(r for r in rows if r["kind"] == "amount_mismatch")
    assert mismatch["money_at_stake"] == "50.00" and mismatch["currency"] == "USD"

    code, out, _ = cli(capsys, "report", "-f", "json")
    data = json.loads(out)
    kinds = {f["kind"] for f in data["findings"]}
    assert {"status_mismatch", "unapplied_payment", "overpayment"} <= kinds
    assert set(data["metrics"]["by_currency"]) == {"EUR", "JPY", "KWD", "USD"}

    code, out, _ = cli(capsys, "metrics", "--json", "--until", "2026-04-30")
    usd = json.loads(out)["by_currency"]["USD"]
    assert usd["aging"]["current"] == "0.00" and usd["aging"]["1-30"] != "0.00"
