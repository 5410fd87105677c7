"""``apply-payment`` into QuickBooks Online, end to end through the CLI: python-quickbooks
over HTTPS against the simulator, on both stores. What QuickBooks holds is read from the
simulator's own state; a lost answer never applies the money twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.config import load_config
from hub.store import open_store
from hub.store.schema import findings
from plugins.quickbooks.simulator import QboSimulatorServer
from tests.support.hub import cli, write_config
from tests.support.qbo import config_body

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
TODAY = datetime.now(UTC).date().isoformat()


def _open_invoice(qbo: QboSimulatorServer, **match: Any) -> dict[str, Any]:
    return next(i for i in qbo.sim.all("Invoice") if i["Balance"] > 0
                and i["CurrencyRef"]["value"] == "USD"
                and all(i[k] == v for k, v in match.items()))


def _finding(config: Path, key: str) -> tuple[str, str]:
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            status, text = conn.execute(sa.select(findings.c.status, findings.c.explanation)
                                        .where(findings.c.key == key)).one()
        return str(status), str(text)
    finally:
        engine.dispose()


def _company(qbo: QboSimulatorServer, folder: Path, store_url: str, bank: str) -> Path:
    (folder / "bank.csv").write_text("Ref,Date,Amount,Cur,From,Text\n" + bank, encoding="utf-8")
    return write_config(folder, store_url, config_body(qbo, max_attempts=2) + BANK)


def _posts(qbo: QboSimulatorServer, entity: str) -> list[str | None]:
    return [r.requestid for r in qbo.sim.requests
            if r.method == "POST" and r.path.lower().endswith(f"/{entity}")]


def test_a_bank_credit_applied_becomes_one_quickbooks_payment_despite_lost_answers(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        wide_console: None) -> None:
    monkeypatch.chdir(tmp_path)
    invoice = _open_invoice(qbo)
    customer = invoice["CustomerRef"]["name"]
    owed = invoice["Balance"]
    config = _company(qbo, tmp_path, store_url,
                      f"B-1,{TODAY},{owed},USD,{customer},Invoice {invoice['DocNumber']}\n"
                      f"B-0,{TODAY},-12.00,USD,Our bank,Account fee\n")
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    cli(capsys, "reconcile")
    key = "unapplied_payment:bank:B-1"
    assert _finding(config, key)[0] == "open"
    code, out, _ = cli(capsys, "plugins")
    assert "invoice (pull, push, apply payments, send, incremental, webhook)" in out
    code, _, err = cli(capsys, "apply-payment", "bank:B-0", f"books:invoice:{invoice['Id']}")
    assert code == exits.FAILED
    assert "bank:bank_transaction:B-0 is money going out, not a payment received" in err

    code, out, err = cli(capsys, "apply-payment", "bank:B-1",
                         f"books:invoice:{invoice['Id']}")
    assert code == exits.OK, err
    assert (f"Applied {owed:,} USD of bank:bank_transaction:B-1 to "
            f"books:invoice:{invoice['Id']}") in out
    cli(capsys, "reconcile")
    status, text = _finding(config, key)
    assert status == "open" and text.startswith(
        f"Applied, awaiting confirmation: {owed:,} USD to books:invoice:{invoice['Id']} "
        f"({invoice['DocNumber']}), queued for books, not sent yet")

    # every answer to the payment's creation is lost: the run stops, the change stays queued
    qbo.sim.script_fault("lost_response", 2, method="POST", path=r"/payment$")
    code, _, err = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.FAILED and "stay queued" in err
    # sent again with the same requestid: QuickBooks answers with what it did the first time
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK
    made = [p for p in qbo.sim.all("Payment") if "bank:B-1" in (p.get("PrivateNote") or "")]
    assert len(made) == 1, made
    (payment,) = made
    assert payment["TotalAmt"] == owed and payment["UnappliedAmt"] == 0
    assert payment["TxnDate"] == TODAY and payment["PaymentRefNum"] == "B-1"
    assert payment["Line"] == [{"Amount": owed, "LinkedTxn": [
        {"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]
    assert payment["CustomerRef"]["value"] == invoice["CustomerRef"]["value"]
    sent = _posts(qbo, "payment")
    assert len(sent) == 3 and len(set(sent)) == 1 and str(sent[0]).endswith(":apply")
    assert qbo.sim.get("Invoice", invoice["Id"])["Balance"] == 0

    cli(capsys, "reconcile")  # sent, but no sync has read it back yet
    status, text = _finding(config, key)
    assert status == "open" and "sent to books; the next sync of books confirms it." in text
    assert cli(capsys, "sync", "books", "--no-progress")[0] == exits.OK
    code, out, _ = cli(capsys, "reconcile")
    assert _finding(config, key)[0] == "resolved"
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert "Nothing to send" in out
    code, _, err = cli(capsys, "apply-payment", "bank:B-1",
                         f"books:invoice:{invoice['Id']}")
    assert code == exits.FAILED and "nothing left to apply" in err
    assert len([p for p in qbo.sim.all("Payment")
                if "bank:B-1" in (p.get("PrivateNote") or "")]) == 1


def test_a_quickbooks_payment_gets_its_linked_line_and_one_bank_credit_pays_two_invoices(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        wide_console: None) -> None:
    monkeypatch.chdir(tmp_path)
    free = next(p for p in qbo.sim.all("Payment") if p["UnappliedAmt"] > 0
                and p["CurrencyRef"]["value"] == "USD")
    who = free["CustomerRef"]["value"]
    target = _open_invoice(qbo, CustomerRef=free["CustomerRef"])
    left = free["UnappliedAmt"]
    other = next(i for i in qbo.sim.all("Invoice") if i["Balance"] > left
                 and i["CurrencyRef"]["value"] == "USD" and i["CustomerRef"]["value"] != who)
    two = [i for i in qbo.sim.all("Invoice") if i["Balance"] > 0 and i["CurrencyRef"]["value"]
           == "USD" and i["CustomerRef"]["value"] == other["CustomerRef"]["value"]]
    config = _company(qbo, tmp_path, store_url,
                      f"B-2,{TODAY},{sum(i['Balance'] for i in two) + 5},USD,"
                      f"{other['CustomerRef']['name']},several invoices\n")
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    cli(capsys, "reconcile")
    key = f"partly_applied_payment:books:{free['Id']}"
    assert _finding(config, key)[0] == "open"
    before = target["Balance"]

    # another customer's invoice: QuickBooks refuses, and says why
    code, _, _ = cli(capsys, "apply-payment", f"books:payment:{free['Id']}",
                         f"books:invoice:{other['Id']}")
    assert code == exits.OK
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.NEEDS_PERSON
    code, out, _ = cli(capsys, "push", "list", "--status", "rejected")
    assert "Cannot Be Linked" in out or "belongs to customer" in out
    # refused: it no longer counts; the right invoice takes the money
    code, out, _ = cli(capsys, "apply-payment", f"books:payment:{free['Id']}",
                           f"books:invoice:{target['Id']}")
    assert code == exits.OK
    applied = min(left, before)
    assert f"Applied {applied:,} USD" in out
    assert cli(capsys, "push", "send", "--no-progress")[0] == exits.OK
    now = qbo.sim.get("Payment", free["Id"])
    lines = [ln for ln in now["Line"] if ln["LinkedTxn"][0]["TxnId"] == target["Id"]]
    assert [ln["Amount"] for ln in lines] == [applied]
    assert now["TotalAmt"] == free["TotalAmt"] and now["UnappliedAmt"] == left - applied
    assert qbo.sim.get("Invoice", target["Id"])["Balance"] == before - applied

    # one bank credit for two invoices: one QuickBooks payment with two lines
    for inv in two:
        assert cli(capsys, "apply-payment", "bank:B-2",
                   f"books:invoice:{inv['Id']}")[0] == exits.OK
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK, cli(capsys, "push", "list", "--status", "rejected")[1]
    (made,) = [p for p in qbo.sim.all("Payment") if "bank:B-2" in (p.get("PrivateNote") or "")]
    assert sorted((ln["LinkedTxn"][0]["TxnId"], ln["Amount"]) for ln in made["Line"]) == sorted(
        (i["Id"], i["Balance"]) for i in two)
    assert all(qbo.sim.get("Invoice", i["Id"])["Balance"] == 0 for i in two)

    assert cli(capsys, "sync", "books", "--no-progress")[0] == exits.OK
    cli(capsys, "reconcile")
    assert _finding(config, key)[0] == ("resolved" if applied == left else "open")
    # confirmed: what the bank credit paid counts; the $5.00 left is a finding of its own
    assert _finding(config, "unapplied_payment:bank:B-2")[0] == "resolved"
    status, text = _finding(config, "partly_applied_payment:bank:B-2")
    assert status == "open" and "awaiting confirmation" not in text
    assert "$5.00 is not applied to any invoice" in text
