"""Customers' replies hold reminders, end to end: mail in a real IMAP server (Dovecot),
``billing-hub sync`` of the mailbox, ``billing-hub collect`` sending over a real SMTP
server, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.models import Customer
from hub.store.schema import audit_log, contact_blocks, contact_events, disputes, reminders
from tests.collect.test_collect import invoice, put
from tests.support.hub import cli, write_config
from tests.support.mail import FOLDER, PASSWORD, Dovecot, SmtpCapture, needs_dovecot, remittance

TODAY = "2026-12-31"


def config(tmp_path: Path, store_url: str, imap_port: int, smtp_port: int) -> Path:
    return write_config(tmp_path, store_url, f"""
[connectors.books]
type = "csv"
files = []

[connectors.mail]
type = "email"

[connectors.mail.imap]
host = "127.0.0.1"
port = {imap_port}
tls = "none"
username = "ar@example.com"
password = "env:MAIL_PASSWORD"
folder = "{FOLDER}"

[connectors.mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout_seconds = 10
retry_wait_seconds = 0

[collections]
source = "books"
mailer = "mail"
from_address = "ar@northwind.example"
reply_to = "collections@northwind.example"
company = "Northwind Supplies"
stages = [
  {{ days_overdue = 7, template = "friendly" }},
  {{ days_overdue = 30, template = "firm" }},
]

[collections.replies]
promise_grace_days = 2
""")


@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    server = SmtpCapture().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def books(engine: Engine) -> Engine:
    put(engine,
        Customer(source="books", external_id="C1", name="Acme Corp", email="ap@acme.example"),
        Customer(source="books", external_id="C2", name="Globex", email="pay@globex.example"),
        Customer(source="books", external_id="C3", name="Initech", email="ap@initech.example"),
        invoice("INV-1005", "2026-11-15"),                                 # Acme, firm
        invoice("INV-1006", "2026-12-20"),                                 # Acme, friendly
        invoice("INV-2001", "2026-11-20", customer="C2", name="Globex"),   # Globex, firm
        invoice("INV-3001", "2026-12-01", customer="C3", name="Initech"))  # Initech, firm
    return engine


def rows(engine: Engine, table: sa.Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def sent_to(server: SmtpCapture) -> list[tuple[str, str]]:
    out = []
    for envelope in server.messages:
        msg = message_from_bytes(envelope.content)
        out.append((str(msg["To"]), str(msg["Subject"])))
    return sorted(out)


@needs_dovecot
def test_a_dispute_and_a_cease_and_desist_hold_every_reminder_to_those_customers(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    dovecot = Dovecot().start()
    try:
        dovecot.create()
        dovecot.append(remittance(
            "Hello,\n\nwe dispute invoice INV-1005: the hours billed were never agreed. "
            "Please do not send further reminders until this is sorted out.\n\nDana, Acme AP",
            subject="Invoice INV-1005", sender="Dana <ap@acme.example>",
            message_id="<dispute@acme.example>"))
        dovecot.append(remittance(
            "Please cease and desist all contact with our company.\n\nGlobex Legal",
            subject="Your letters", sender="Globex Legal <pay@globex.example>",
            message_id="<cease@globex.example>"))
        path = config(tmp_path, store_url, dovecot.port, smtp.port)
        code, out, err = cli(capsys, "--config", str(path), "sync", "mail", "--no-progress")
        assert code == exits.OK, out + err
    finally:
        dovecot.stop()

    code, out, err = cli(capsys, "--config", str(path), "collect", "--today", TODAY)
    assert code == exits.OK, out + err
    assert "2 new reply(ies) read: 1 dispute(s) opened, 1 stop(s) of contact" in out
    # Only Initech is reminded: INV-1005 is disputed; Acme's INV-1006 is not named in the
    # dispute and goes; Globex asked to stop all contact.
    assert sent_to(smtp) == [
        ("ap@acme.example", "Friendly reminder: invoice INV-1006 is overdue"),
        ("ap@initech.example", "Second reminder: invoice INV-3001, USD 1,250.00 overdue")]
    assert {r["invoice_number"] for r in rows(books, reminders)} == {"INV-1006", "INV-3001"}

    held = {(e["customer"], orjson_loads(e["details"])["rule"], e["summary"])
            for e in rows(books, contact_events) if e["kind"] == "hold"}
    assert held == {
        ("books:customer:C1", "dispute_open",
         "30-day reminder for INV-1005 held before queueing: dispute open on INV-1005"),
        ("books:customer:C2", "do_not_contact",
         "30-day reminder for INV-2001 held before queueing: customer asked to stop contact "
         "on 2026-11-20")}
    [dispute] = rows(books, disputes)
    assert (dispute["customer"], dispute["status"], dispute["source"]) == (
        "books:customer:C1", "open", "mail")
    assert '"invoice_numbers":["INV-1005"]' in dispute["data"]
    assert "dispute invoice INV-1005" in dispute["raw"]  # the reply it came from
    [stop] = rows(books, contact_blocks)
    assert (stop["customer"], stop["kind"], stop["lifted_at"]) == ("books:customer:C2", "stop",
                                                                   None)

    code, out, _ = cli(capsys, "--config", str(path), "reminders", "held")
    assert "dispute_open" in out and "do_not_contact" in out
    code, out, _ = cli(capsys, "--config", str(path), "collect", "--today", TODAY)
    assert "0 reminder(s) queued; 2 held" in out  # again: nothing new, nothing twice
    assert len(smtp.messages) == 2
    assert len([e for e in rows(books, contact_events) if e["kind"] == "hold"]) == 2

    # A coordinator lifts the stop (audited, with who); Globex is reminded at the next run.
    code, out, err = cli(capsys, "--config", str(path), "customer", "contact",
                         "books:customer:C2", "--resume", "--reason", "lawyer agreed")
    assert code == exits.OK, out + err
    lifted = rows(books, contact_blocks)[0]
    assert lifted["lifted_at"] is not None and lifted["lifted_by"]
    assert [a["action"] for a in rows(books, audit_log)
            if a["action"].startswith("customer.")] == ["customer.contact_resumed"]
    cli(capsys, "--config", str(path), "collect", "--today", TODAY)
    assert ("pay@globex.example", "Second reminder: invoice INV-2001, USD 1,250.00 overdue") \
        in sent_to(smtp)

    # The history shows the reply, the dispute, the hold, the reminder and a note.
    code, _, err = cli(capsys, "--config", str(path), "customer", "note", "books:customer:C1",
                       "Called Dana: the PO covered 20 hours.")
    assert code == exits.OK, err
    code, out, err = cli(capsys, "--config", str(path), "customer", "show", "books:customer:C1")
    assert code == exits.OK, err
    flat = " ".join(out.split())
    for expected in ("Acme Corp (books:customer:C1)", "dispute open: INV-1005",
                     "dispute opened on INV-1005 by Dana", "held before queueing",
                     "7-day reminder for INV-1006 to ap@acme.example: sent",
                     "Called Dana: the PO covered 20 hours."):
        assert expected in flat, (expected, out)


def orjson_loads(text: str) -> dict[str, Any]:
    import orjson

    loaded: dict[str, Any] = orjson.loads(text)
    return loaded


