"""``invoice_not_sent`` and ``invoice_sent_late``: invoices out on time, as ``billing-hub
reconcile`` finds them (both stores). Dates count from today, as the reconciler's do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.models import Customer
from hub.store.schema import findings
from tests.invoicing.test_send_email import LEDGER, MAILING, invoice, put
from tests.support.hub import cli, write_config
from tests.support.mail import SmtpCapture

TODAY = datetime.now().astimezone().date()  # as the reconciler counts it


def days_ago(n: int) -> dict[str, date]:
    return {"issue_date": TODAY - timedelta(days=n)}


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpCapture]:
    monkeypatch.setenv("X", "imap-Secret-4711")
    server = SmtpCapture().start()
    try:
        yield server
    finally:
        server.stop()


def held(engine: Engine) -> dict[str, tuple[str, str]]:
    """key -> (status, explanation) of every finding about invoices out."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(findings.c.key, findings.c.status,
                                      findings.c.explanation)
                            .where(findings.c.kind.in_(["invoice_not_sent",
                                                        "invoice_sent_late"])))
        return {r.key: (r.status, r.explanation) for r in rows}


def test_an_unsent_invoice_is_a_finding_until_sent_and_one_sent_after_its_due_date_too(
        engine: Engine, smtp: SmtpCapture, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    put(engine,
        Customer(source="books", external_id="C1", name="Acme Corp", email="ap@acme.example"),
        invoice("INV-A", **days_ago(10), due_date=TODAY + timedelta(days=20)),  # 10 days old
        invoice("INV-B", **days_ago(1), due_date=TODAY + timedelta(days=29)),   # within 3 days
        invoice("INV-C", **days_ago(40), due_date=TODAY - timedelta(days=2)),   # due 2 days ago
        invoice("INV-D", **days_ago(60), due_date=TODAY - timedelta(days=30), status="paid",
                amount_paid=Decimal("1250.00")))
    path = write_config(tmp_path, store_url, LEDGER + MAILING.format(port=smtp.port))

    assert cli(capsys, "--config", str(path), "reconcile")[0] in (exits.OK, exits.NEEDS_PERSON)
    found = held(engine)
    assert set(found) == {"invoice_not_sent:books:id-INV-A", "invoice_not_sent:books:id-INV-C"}
    status, text = found["invoice_not_sent:books:id-INV-A"]
    assert status == "open"
    assert (f"books:invoice:id-INV-A (INV-A) of {TODAY - timedelta(days=10)} was not sent to "
            "its customer within 3 day(s).") in text
    assert "`billing-hub invoices send books:invoice:id-INV-A`" in text
    assert "Its due date" in found["invoice_not_sent:books:id-INV-C"][1]

    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-A", "books:invoice:id-INV-C")
    assert code == exits.OK, out
    cli(capsys, "--config", str(path), "reconcile")
    found = held(engine)
    assert found["invoice_not_sent:books:id-INV-A"][0] == "resolved"
    assert found["invoice_not_sent:books:id-INV-C"][0] == "resolved"
    late = found["invoice_sent_late:books:id-INV-C"]
    assert late[0] == "open"
    assert (f"was sent on {TODAY}, 2 day(s) after its due date "
            f"{TODAY - timedelta(days=2)}") in late[1]
    assert "invoice_sent_late:books:id-INV-A" not in found


def test_the_deadline_is_configurable_and_only_the_listed_sources_count(
        engine: Engine, smtp: SmtpCapture, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    put(engine, invoice("INV-A", **days_ago(10)))
    text = LEDGER + MAILING.format(port=smtp.port)
    path = write_config(tmp_path, store_url, text.replace(
        'sources = ["books"]', 'sources = ["books"]\nsend_within_days = 14'))
    cli(capsys, "--config", str(path), "reconcile")
    assert held(engine) == {}
    path = write_config(tmp_path, store_url, text.replace('sources = ["books"]', 'sources = []'))
    cli(capsys, "--config", str(path), "reconcile")
    assert held(engine) == {}
    path = write_config(tmp_path, store_url, text)
    cli(capsys, "--config", str(path), "reconcile")
    assert list(held(engine)) == ["invoice_not_sent:books:id-INV-A"]
