"""Customers' replies hold reminders, end to end: mail in a real IMAP server (Dovecot),
``billing-hub sync`` of the mailbox, ``billing-hub collect`` sending over a real SMTP
server, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
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
from tests.support.clock import zone_at_midday
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
time_zone = "{zone_at_midday()}"  # a zone where it is midday now: inside the contact hours
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
    stored = {r["invoice_number"]: (r["status"], r["hold_rule"]) for r in rows(books, reminders)}
    assert {n for n, (status, _) in stored.items() if status != "held"} == {"INV-1006",
                                                                           "INV-3001"}
    assert stored["INV-1005"] == ("held", "dispute_open")  # `reminders list --held`
    assert stored["INV-2001"] == ("held", "do_not_contact")

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
    code, out, _ = cli(capsys, "--config", str(path), "reminders", "inbox")
    flat = " ".join(out.split())
    assert "a dispute to answer: dispute from Dana (ap@acme.example)" in flat
    assert "a request to stop contact: stop from Globex Legal" in flat
    code, out, _ = cli(capsys, "--config", str(path), "collect", "--today", TODAY)
    assert "0 reminder(s) queued." in out  # again: nothing new, nothing twice
    assert "held INV-1005" in out and "held INV-2001" in out  # still held, for the same rules
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




# ------------------------------------------------- promises, absences, bounces, questions
def reply_record(body: str, *, sender: str, message_id: str, when: str = "2026-12-20",
                 subject: str = "Re: reminder", headers: dict[str, str] | None = None,
                 raw: bytes | None = None) -> Any:
    """The reply the email connector stores for this message (read by its own reader)."""
    from datetime import UTC, datetime

    from plugins.email.config import ParsingRules
    from plugins.email.inbound import read_inbound

    if raw is None:
        msg = remittance(body, subject=subject, sender=sender, message_id=f"<{message_id}>",
                         when=datetime.fromisoformat(when).replace(hour=9, tzinfo=UTC))
        for name, value in (headers or {}).items():
            msg[name] = value
        raw = msg.as_bytes()
    return read_inbound(raw, ParsingRules(), connector="mail", external_id=message_id)


def _dsn(failed: str, returned_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.northwind.example>\r\n"
        "To: ar@northwind.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 28 Dec 2026 08:00:00 +0000\r\nMessage-ID: <dsn-1@mx.northwind.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"To: {failed}\r\nMessage-ID: {returned_id}\r\n\r\n--B--\r\n").encode()


def test_promises_absences_bounces_and_questions_hold_or_wait_for_a_person(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    path = config(tmp_path, store_url, 1, smtp.port)
    code, out, err = cli(capsys, "--config", str(path), "collect", "--no-send", "--today",
                         "2026-12-27")
    assert code == exits.OK, out + err
    queued = {r["invoice_number"]: r for r in rows(books, reminders)}
    assert set(queued) == {"INV-1005", "INV-1006", "INV-2001", "INV-3001"}

    put(books,
        # Acme's address bounced: the reminder already queued is held right before sending.
        reply_record("", sender="", message_id="dsn-1@mx.northwind.example",
                     raw=_dsn("ap@acme.example", queued["INV-1005"]["message_id"])),
        # Globex promises INV-2001 by 30 December; with 2 days' grace it holds to 1 January.
        reply_record("No dispute, just paying late: we will pay INV-2001 by December 30, "
                     "2026.", sender="pay@globex.example", message_id="promise@globex"),
        # Initech's clerk (an address the books do not know) is away until 5 January: tied
        # to Initech by the reminder it answers.
        reply_record("I am out of the office until January 5, 2027.",
                     sender="clerk@initech.example", message_id="ooo@initech",
                     subject="Automatic reply: reminder",
                     headers={"Auto-Submitted": "auto-replied",
                              "In-Reply-To": queued["INV-3001"]["message_id"]}),
        # Acme says it paid, but names no amount: a person looks for the payment.
        reply_record("We paid INV-1006 yesterday.", sender="ap@acme.example",
                     message_id="paid@acme"),
        reply_record("Could you send a copy of INV-3001 with our PO number?",
                     sender="ap@initech.example", message_id="question@initech"))

    code, out, err = cli(capsys, "--config", str(path), "collect", "--today", "2026-12-31")
    assert code == exits.OK, out + err
    assert smtp.messages == []  # everything is held
    held = {(e["customer"], orjson_loads(e["details"])["rule"], orjson_loads(e["details"])[
        "reason"]) for e in rows(books, contact_events) if e["kind"] == "hold"}
    assert held == {
        ("books:customer:C1", "address_bounced",
         "address ap@acme.example bounced on 2026-12-28"),
        ("books:customer:C2", "promise_to_pay",
         "promise to pay by 2026-12-30 (held to 2027-01-01, 2 days' grace)"),
        ("books:customer:C3", "out_of_office", "out of office until 2027-01-05")}
    # held right before sending, not cancelled: queued again once nothing holds them
    assert {r["status"] for r in rows(books, reminders)} == {"held"}

    code, out, _ = cli(capsys, "--config", str(path), "reminders", "inbox")
    flat = " ".join(out.split())
    assert "a question: question from ap@initech.example" in flat
    assert "an address bounced: find a working one" in flat
    assert "says it paid, but names no amount: find the payment" in flat
    question = next(e for e in rows(books, contact_events)
                    if e["ref"] == "reply:mail:question@initech")
    code, out, _ = cli(capsys, "--config", str(path), "reminders", "handled", str(question["id"]))
    assert code == exits.OK
    code, out, _ = cli(capsys, "--config", str(path), "reminders", "inbox")
    assert "a question" not in " ".join(out.split())

    # 2 January: the promise lapsed (date plus grace) and its reminder goes; Initech is
    # still away; Acme's address still bounces.
    cli(capsys, "--config", str(path), "collect", "--today", "2027-01-02")
    assert sent_to(smtp) == [
        ("pay@globex.example", "Second reminder: invoice INV-2001, USD 1,250.00 overdue")]
    # 5 January: Initech is back.
    cli(capsys, "--config", str(path), "collect", "--today", "2027-01-05")
    assert [to for to, _ in sent_to(smtp)] == ["ap@initech.example", "pay@globex.example"]


def test_a_promise_holds_three_days_past_its_date_unless_configured() -> None:
    from hub.collect.settings import CollectionSettings

    settings = CollectionSettings.model_validate({
        "source": "books", "mailer": "mail", "from_address": "ar@northwind.example",
        "stages": [{"days_overdue": 7, "template": "friendly"}]})
    assert settings.replies.promise_grace_days == 3


def test_a_reply_quarantined_for_no_amount_before_this_version_is_a_reply_on_retry(
        books: Engine, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from hub.errors import RecordRejected
    from hub.store import quarantine
    from hub.store.clock import utcnow
    from hub.store.schema import quarantine as quarantine_table
    from hub.store.schema import records

    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    source = remittance("Please cease and desist all contact.", sender="pay@globex.example",
                        message_id="<old-cease@globex.example>").as_bytes()
    with books.begin() as conn:
        quarantine.add(conn, "mail", "payment", [RecordRejected(
            "no amount found: the message names no sum of money with a currency",
            raw={"rfc822": source.decode()}, location=f"{FOLDER} uid 3", entity="payment",
            external_id="old-cease@globex.example")], run_id=None, now=utcnow())
    path = config(tmp_path, store_url, 1, 1)
    code, out, err = cli(capsys, "--config", str(path), "quarantine", "retry", "--all")
    assert code == exits.OK, out + err
    with books.connect() as conn:
        stored_as = conn.execute(sa.select(records.c.entity, records.c.external_id).where(
            records.c.source == "mail")).all()
        status = conn.execute(sa.select(quarantine_table.c.status)).scalar_one()
    assert stored_as == [("reply", "old-cease@globex.example")] and status == "resolved"
    code, out, _ = cli(capsys, "--config", str(path), "collect", "--dry-run", "--today", TODAY)
    assert "1 stop(s) of contact" in out
    assert "do_not_contact: customer asked to stop contact" in " ".join(out.split())
    assert rows(books, contact_blocks) == []  # a dry run changes nothing
