"""A ledger without a send channel (CSV): the hub e-mails the invoice as a PDF over the
email connector's SMTP, received by a real SMTP server (aiosmtpd) and opened with pypdf;
and refused, with the reason, when no mailer is configured. Both stores."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.models import CanonicalRecord, Customer, Invoice
from hub.store import records as store_records
from hub.store.clock import utcnow
from tests.invoicing.support import sends
from tests.support.hub import cli, write_config
from tests.support.mail import SmtpCapture

LEDGER = """
[connectors.books]
type = "csv"
files = []
"""
MAILING = """
[connectors.mail]
type = "email"
imap = {{ host = "127.0.0.1", port = 1, tls = "none", username = "ar", password = "env:X" }}

[connectors.mail.smtp]
host = "127.0.0.1"
port = {port}
tls = "none"
timeout_seconds = 10
retry_wait_seconds = 0

[invoicing]
sources = ["books"]
mailer = "mail"
from_address = "billing@northwind.example"
from_name = "Northwind Supplies, Billing"
company = "Northwind Supplies"
"""


def put(engine: Engine, *items: CanonicalRecord) -> None:
    with engine.begin() as conn:
        for item in items:
            store_records.upsert(conn, item.source, item.entity,
                                 [store_records.prepare(item)], run_id=None, now=utcnow())


def invoice(number: str, *, customer: str = "C1", currency: str = "USD",
            lines: list[tuple[str, str]] | None = None, **extra: Any) -> Invoice:
    rows = lines or [("Pallet racking, 12 bays", "1180.00"), ("Installation", "70.00")]
    dates = {"issue_date": date(2026, 11, 2), "due_date": date(2026, 12, 2), **extra}
    return Invoice(source="books", external_id=f"id-{number}", number=number,
                   customer_ref=customer, currency=currency,
                   lines=[{"description": d, "amount": Decimal(a)} for d, a in rows], **dates)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X", "imap-Secret-4711")


@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    server = SmtpCapture().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ledger(engine: Engine) -> Engine:
    put(engine,
        Customer(source="books", external_id="C1", name="Acme Corp", email="ap@acme.example"),
        Customer(source="books", external_id="C2", name="Müller Logistik GmbH",
                 email="buchhaltung@mueller.example", metadata={"locale": "de_DE"}),
        Customer(source="books", external_id="C3", name="Initech"),
        invoice("INV-1"),
        invoice("INV-2", customer="C2", currency="EUR",
                lines=[("Lagerregal, 4 Felder", "1234.50"), ("Montage", "99.90")]),
        invoice("INV-3", customer="C3"),
        invoice("INV-4", status="void"))
    return engine


def received(server: SmtpCapture) -> list[EmailMessage]:
    return [message_from_bytes(e.content, policy=policy.default)  # type: ignore[misc]
            for e in server.messages]


def pdf_text(message: EmailMessage) -> tuple[str, str]:
    """(the attachment's file name, the text of its PDF)."""
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes) and data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return str(part.get_filename()), "\n".join(p.extract_text() for p in reader.pages)


def test_a_csv_invoice_goes_as_a_pdf_that_reads_as_the_invoice(
        ledger: Engine, smtp: SmtpCapture, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    path = write_config(tmp_path, store_url, LEDGER + MAILING.format(port=smtp.port))
    code, out, err = cli(capsys, "--config", str(path), "invoices", "send",
                         "books:invoice:id-INV-1", "books:invoice:id-INV-2")
    assert code == exits.OK, out + err
    first, second = received(smtp)

    assert first["To"] == "ap@acme.example"
    assert first["Subject"] == "Invoice INV-1 from Northwind Supplies: $1,250.00"
    assert first["From"] == '"Northwind Supplies, Billing" <billing@northwind.example>'
    body = first.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Dear Acme Corp," in text and "invoice INV-1 of Nov 2, 2026 for $1,250.00" in text
    assert "due on Dec 2, 2026" in text and "Installation: $70.00" in text
    name, document = pdf_text(first)
    assert name == "invoice-INV-1.pdf"
    lines = document.splitlines()
    assert "Invoice INV-1" in lines and "Bill to: Acme Corp" in lines
    assert "Invoice date: Nov 2, 2026" in lines and "Due date: Dec 2, 2026" in lines
    assert "Pallet racking, 12 bays $1,180.00" in lines and "Installation $70.00" in lines
    assert "Total $1,250.00" in lines

    # the customer's own locale: German figures and dates, the euro after the amount
    assert second["To"] == "buchhaltung@mueller.example"
    assert second["Subject"] == "Invoice INV-2 from Northwind Supplies: 1.334,40 €"
    _, document = pdf_text(second)
    lines = document.splitlines()
    assert "Bill to: Müller Logistik GmbH" in lines and "Invoice date: 02.11.2026" in lines
    assert "Lagerregal, 4 Felder 1.234,50\xa0€" in lines and "Montage 99,90\xa0€" in lines
    assert "Total 1.334,40\xa0€" in lines

    rows = {r["invoice_number"]: r for r in sends(tmp_path, store_url)}
    message_ids = {m["Message-ID"] for m in (first, second)}
    assert {rows["INV-1"]["message_id"], rows["INV-2"]["message_id"]} == message_ids
    assert all(r["status"] == "sent" and r["channel"] == "email" and r["via"] == "mail"
               and r["answer"].startswith("250") for r in rows.values())
    assert rows["INV-1"]["message_id"] == f"<{rows['INV-1']['key']}@northwind.example>"

    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-1")
    assert code == exits.OK and "already" in out and len(smtp.messages) == 2


def test_due_sends_every_issued_unsent_invoice_and_says_what_waits_for_a_person(
        ledger: Engine, smtp: SmtpCapture, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    path = write_config(tmp_path, store_url, LEDGER + MAILING.format(port=smtp.port))
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send", "--due",
                       "--today", "2026-11-05")
    said = " ".join(out.split())
    assert code == exits.NEEDS_PERSON
    assert "refused books:invoice:id-INV-3" in said and "no e-mail address of Initech" in said
    assert "INV-4" not in said  # void: never sent
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-4")
    assert code == exits.NEEDS_PERSON and "invoice INV-4 is void" in " ".join(out.split())
    assert sorted(m["To"] for m in received(smtp)) == ["ap@acme.example",
                                                        "buchhaltung@mueller.example"]
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send", "--due",
                       "--today", "2026-11-05")
    assert "INV-1" not in out and "INV-2" not in out and len(smtp.messages) == 2
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send", "--due",
                       "--today", "2026-11-01")  # issued after that day: nothing due
    assert "No invoice waits to be sent (issued up to 2026-11-01)." in out


def test_a_mailbox_that_refuses_for_good_is_a_bounce_and_can_go_again_after_a_fix(
        ledger: Engine, smtp: SmtpCapture, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    path = write_config(tmp_path, store_url, LEDGER + MAILING.format(port=smtp.port))
    smtp.handler.refuse_next, smtp.handler.refuse_with = 1, "550 5.1.1 No such user"
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-1")
    assert code == exits.NEEDS_PERSON and "bounced" in out and "550 5.1.1" in out
    [row] = sends(tmp_path, store_url)
    assert row["status"] == "bounced" and smtp.messages == []
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-1")
    assert code == exits.OK and len(smtp.messages) == 1
    [again] = sends(tmp_path, store_url)
    assert again["status"] == "sent" and again["key"] != row["key"]  # a new try, a new key
    assert received(smtp)[0]["Message-ID"] == again["message_id"]


def test_a_system_that_cannot_send_is_refused_with_the_reason(
        ledger: Engine, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, store_url, LEDGER + '[invoicing]\nsources = ["books"]\n')
    code, _, err = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-1")
    said = " ".join(err.split())
    assert code == exits.FAILED
    assert "books (csv) cannot send invoices: its connector declares no send channel" in said
    assert "no [invoicing] mailer is configured" in said and 'mailer = "NAME"' in said
    assert sends(tmp_path, store_url) == []


def test_a_connection_lost_after_the_data_is_unconfirmed_until_a_person_says(
        ledger: Engine, smtp: SmtpCapture, tmp_path: Path, store_url: str,
        capsys: pytest.CaptureFixture[str], wide_console: None) -> None:
    path = write_config(tmp_path, store_url, LEDGER + MAILING.format(port=smtp.port))
    smtp.handler.drop_after_data = 1  # taken, but the answer never reaches the hub
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-1")
    said = " ".join(out.split())
    assert code == exits.NEEDS_PERSON and "unconfirmed books:invoice:id-INV-1" in said
    assert "invoices mark books:invoice:id-INV-1 --sent" in said
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "list",
                       "--status", "unconfirmed")
    assert "id-INV-1" in out and "INV-1" in out and "unconfirmed" in out
    cli(capsys, "--config", str(path), "invoices", "send", "books:invoice:id-INV-1")
    assert len(smtp.messages) == 1  # not again by itself

    code, out, _ = cli(capsys, "--config", str(path), "invoices", "mark",
                       "books:invoice:id-INV-1", "--not-sent")
    assert code == exits.OK and "sends it again" in out
    code, out, _ = cli(capsys, "--config", str(path), "invoices", "send",
                       "books:invoice:id-INV-1")
    assert code == exits.OK and len(smtp.messages) == 2
    first, second = received(smtp)
    assert first["Message-ID"] != second["Message-ID"]  # a new try, a new key
    code, _, err = cli(capsys, "--config", str(path), "invoices", "mark",
                       "books:invoice:id-INV-1", "--sent")
    assert code == exits.FAILED and "only an unconfirmed send can be marked" in err
