"""Nobody's edit is overwritten: a ledger mirrored into QuickBooks while an accountant edits
the same invoices there, end to end through the CLI (python-quickbooks over HTTPS against
the simulator, on both stores). What QuickBooks holds is read from the simulator's state."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.config import load_config
from hub.store import audit, open_store
from hub.store.schema import audit_log
from plugins.quickbooks.simulator import QboSimulatorServer
from tests.support.hub import cli, write_config
from tests.support.qbo import config_body

TODAY = datetime.now(UTC).date()
D0, D1, D2, D3 = (TODAY + timedelta(days=d) for d in (30, 40, 50, 60))
LEDGER = """
[connectors.ledger]
type = "csv"

[[connectors.ledger.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["Customer ID"]
columns = { name = "Customer", email = "Email" }

[[connectors.ledger.files]]
path = "invoices.csv"
preset = "quickbooks-invoices"
columns = { currency = "Currency" }

[[push.mirrors]]
from = "ledger"
to = "qbo"
"""


def _us(day: object) -> str:
    assert isinstance(day, type(TODAY))
    return day.strftime("%m/%d/%Y")


def _ledger(folder: Path, due: object, amount: str = "400.00") -> None:
    (folder / "customers.csv").write_text(
        "Customer ID,Customer,Email\nC-1,Audrey Fields Ltd,ap@audrey.example\n",
        encoding="utf-8")
    (folder / "invoices.csv").write_text(
        "Date,No.,Customer,Due Date,Currency,Amount,Open Balance,Status\n"
        f"{_us(TODAY)},AUD-1,Audrey Fields Ltd,{_us(due)},USD,{amount},{amount},Open\n",
        encoding="utf-8")


def _invoice(qbo: QboSimulatorServer) -> dict[str, object]:
    [found] = [i for i in qbo.sim.all("Invoice") if i.get("DocNumber") == "AUD-1"]
    return found


def _accountant_sets(qbo: QboSimulatorServer, **fields: object) -> None:
    """An accountant edits the invoice in QuickBooks (a new SyncToken)."""
    current = _invoice(qbo)
    qbo.sim.update("Invoice", {"Id": current["Id"], "SyncToken": current["SyncToken"],
                               "sparse": True, **fields})


def _events(config: Path, prefix: str) -> list[tuple[str, str, str]]:
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor,
                                          audit_log.c.details)
                                .where(audit_log.c.action.like(prefix + "%"))
                                .order_by(audit_log.c.id)).all()
        return [(str(a), str(who), str(d)) for a, who, d in rows]
    finally:
        engine.dispose()


@pytest.fixture
def company(qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """The ledger's customer and invoice AUD-1 (due D0) mirrored into QuickBooks."""
    monkeypatch.chdir(tmp_path)
    if not any(i["Name"] == "Services" for i in qbo.sim.all("Item")):
        qbo.sim.create("Item", {"Name": "Services", "Type": "Service"})
    body = config_body(qbo, push_item='"Services"').replace("[connectors.books]",
                                                            "[connectors.qbo]")
    config = write_config(tmp_path, store_url, body + LEDGER)
    _ledger(tmp_path, D0)
    assert cli(capsys, "sync", "ledger", "--no-progress")[0] == exits.OK
    assert "2 change(s) queued" in cli(capsys, "push", "queue")[1]
    code, out, _ = cli(capsys, "push", "send", "--no-progress", "--unapproved")
    assert code == exits.OK, out
    assert _invoice(qbo)["DueDate"] == D0.isoformat()
    return config


def _queue_and_approve(capsys: pytest.CaptureFixture[str]) -> str:
    assert cli(capsys, "sync", "ledger", "--no-progress")[0] == exits.OK
    cli(capsys, "push", "queue")
    out = cli(capsys, "push", "list")[1]
    [change_id] = re.findall(r"#(\d+) update invoice ledger:invoice:AUD-1", out)
    assert cli(capsys, "push", "approve", change_id)[0] == exits.OK
    return change_id


def test_the_same_field_changed_on_both_sides_is_not_sent_until_a_person_decides(
        qbo: QboSimulatorServer, company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _accountant_sets(qbo, DueDate=D1.isoformat())  # the accountant moves the due date ...
    _ledger(company.parent, D2)                     # ... and the ledger moves it too
    code, out, _ = cli(capsys, "sync", "ledger", "--no-progress")
    cli(capsys, "push", "queue")
    code, out, _ = cli(capsys, "push", "list")  # against what the hub last sent, offline
    assert re.search(rf"\ndue_date +{D2} +{D0} *\n", out), out
    change_id = _queue_and_approve(capsys)

    code, out, _ = cli(capsys, "push", "plan", "qbo")  # read from QuickBooks, nothing written
    assert code == exits.OK
    assert f"#{change_id} update invoice ledger:invoice:AUD-1 -> qbo: conflict" in out
    assert re.search(rf"DueDate +{D1} +{D2} +{D0} +CONFLICT: not sent", out), out

    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.NEEDS_PERSON and "Changed in both systems" in out
    assert _invoice(qbo)["DueDate"] == D1.isoformat()  # the accountant's edit stands
    code, out, _ = cli(capsys, "push", "list", "--status", "conflict")
    assert re.search(rf"DueDate +{D1} +{D2} +{D0} +CONFLICT", out), out
    code, out, _ = cli(capsys, "findings", "list", "--kind", "concurrent_edit")
    assert code == exits.OK and "concurrent_edit" in out and "ledger:invoice:AUD-1" in out
    cli(capsys, "reconcile")  # a reconcile keeps it open while the change waits
    code, out, _ = cli(capsys, "findings", "list", "--kind", "concurrent_edit")
    assert "ledger:invoice:AUD-1" in out
    [(_, _, details)] = _events(company, "push.conflict")
    assert f'"base":"{D0}"' in details.replace(" ", "") and "DueDate" in details

    code, out, _ = cli(capsys, "push", "keep-theirs", change_id, "--note", "agreed by phone")
    assert code == exits.OK and "qbo keeps its values" in out
    assert _invoice(qbo)["DueDate"] == D1.isoformat()
    code, out, _ = cli(capsys, "findings", "list", "--kind", "concurrent_edit")
    assert "ledger:invoice:AUD-1" not in out
    assert [a for a, _, _ in _events(company, "push.kept")] == ["push.kept_theirs"]

    # later both change again, different fields: the merge keeps theirs and sends ours
    _accountant_sets(qbo, DueDate=D3.isoformat())
    _ledger(company.parent, D2, amount="450.00")
    _queue_and_approve(capsys)
    code, out, _ = cli(capsys, "push", "plan", "qbo")
    assert re.search(rf"DueDate +{D3} +{D2} +{D2} +kept as theirs", out), out
    assert re.search(r"Line +Invoice AUD-1 400\.00 +Invoice AUD-1 450\.00 +Invoice AUD-1 "
                     r"400\.00 +written", out), out
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK, out
    invoice = _invoice(qbo)
    assert invoice["DueDate"] == D3.isoformat() and str(invoice["TotalAmt"]) in ("450", "450.00")
    [(_, _, merged)] = _events(company, "push.merged")
    assert "kept_theirs" in merged and "DueDate" in merged
    approvals = _events(company, "push.approved")  # --unapproved, then `push approve` twice
    assert len(approvals) == 3 and all(who == audit.default_actor() for _, who, _ in approvals)


def test_send_ours_overwrites_the_field_a_person_chose_to_overwrite(
        qbo: QboSimulatorServer, company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _accountant_sets(qbo, DueDate=D1.isoformat())
    _ledger(company.parent, D2)
    change_id = _queue_and_approve(capsys)
    assert cli(capsys, "push", "send", "--no-progress")[0] == exits.NEEDS_PERSON
    code, out, _ = cli(capsys, "push", "send-ours", change_id)
    assert code == exits.OK and "queued again, approved" in out
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK, out
    assert _invoice(qbo)["DueDate"] == D2.isoformat()
    assert [a for a, _, _ in _events(company, "push.sent_ours")] == ["push.sent_ours"]
