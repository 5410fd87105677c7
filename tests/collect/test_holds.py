"""Holds from what the hub knows, and the rules no schedule breaks, through the CLI
against a real SMTP server (both stores): the scenarios of issue 19."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.models import CanonicalRecord, CreditNote, Customer, Invoice, Payment
from hub.store import records as store_records
from hub.store.clock import utcnow
from hub.store.schema import audit_log, reminders
from tests.support import ledger
from tests.support.clock import zone_at_midday
from tests.support.company import BODY, write_company
from tests.support.hub import cli, write_config
from tests.support.mail import SmtpCapture

TODAY = "2026-12-31"

CONFIG = """
[connectors.books]
type = "csv"
files = []

[connectors.mail]
type = "email"
imap = { host = "127.0.0.1", port = 1, tls = "none", username = "ar", password = "env:X" }

[connectors.mail.smtp]
host = "127.0.0.1"
port = SMTP_PORT
tls = "none"
timeout_seconds = 10
retry_wait_seconds = 0

[collections]
source = "books"
mailer = "mail"
from_address = "ar@northwind.example"
reply_to = "collections@northwind.example"
company = "Northwind Supplies"
time_zone = "ZONE"
EXTRA
"""


def config(tmp_path: Path, store_url: str, port: int, extra: str = "") -> Path:
    body = (CONFIG.replace("SMTP_PORT", str(port)).replace("ZONE", zone_at_midday())
            .replace("EXTRA", extra))
    return write_config(tmp_path, store_url, body)


def put(engine: Engine, *items: CanonicalRecord) -> None:
    with engine.begin() as conn:
        for item in items:
            store_records.upsert(conn, item.source, item.entity,
                                 [store_records.prepare(item)], run_id=None, now=utcnow())


def invoice(number: str, due: str, total: str, customer: str, name: str, *,
            source: str = "books", status: str = "open", paid: str = "0") -> Invoice:
    return Invoice(source=source, external_id=f"{source}-{number}", number=number,
                   customer_ref=customer, customer_name=name, issue_date=date(2026, 11, 1),
                   due_date=date.fromisoformat(due), currency="USD", total=Decimal(total),
                   amount_paid=Decimal(paid), status=status)


def remittance(ext: str, amount: str, payer: str, memo: str, day: str) -> Payment:
    """A remittance the email connector read from the collections mailbox."""
    return Payment(source="mail", external_id=ext, amount=Decimal(amount), currency="USD",
                   received_date=date.fromisoformat(day), payer_name=payer, memo=memo)


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
def company(engine: Engine) -> Engine:
    put(engine,
        Customer(source="books", external_id="C1", name="Acme Corp", email="ap@acme.example"),
        Customer(source="books", external_id="C2", name="Globex", email="pay@globex.example"),
        Customer(source="books", external_id="C3", name="Initech", email="ap@initech.example"),
        invoice("INV-1001", "2026-12-01", "500.00", "C1", "Acme Corp"),
        invoice("INV-1002", "2026-12-05", "750.00", "C1", "Acme Corp"),
        invoice("INV-1003", "2026-12-01", "500.00", "C2", "Globex"),
        invoice("INV-1004", "2026-12-10", "300.00", "C1", "Acme Corp"),   # nothing pays it
        invoice("INV-1005", "2026-12-01", "900.00", "C3", "Initech"))
    return engine


def rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {r.invoice_number: dict(r._mapping) for r in conn.execute(
            sa.select(reminders).order_by(reminders.c.id))}


def recipients(smtp: SmtpCapture) -> list[tuple[str, str]]:
    return [(e.rcpt_tos[0], message_from_bytes(e.content)["Subject"]) for e in smtp.messages]


def collect(capsys: pytest.CaptureFixture[str], path: Path, *extra: str
            ) -> tuple[int, str, str]:
    return cli(capsys, "--config", str(path), "collect", "--today", TODAY, *extra)


@pytest.fixture(autouse=True)
def _wide(wide_console: None) -> None:
    """Tables are read whole."""


def held_list(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    code, out, err = cli(capsys, "--config", str(path), "reminders", "list", "--held")
    assert code == exits.OK, err
    return " ".join(out.split())


def test_paid_by_remittance_is_held_not_reminded(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    put(company,
        remittance("r-acme", "1250.00", "Acme Corp", "Payment of INV-1001 and INV-1002",
                   "2026-12-20"),
        remittance("r-globex-1", "400.00", "Globex", "INV-1003 first part", "2026-12-18"),
        remittance("r-globex-2", "100.00", "Globex", "INV-1003 rest", "2026-12-22"))
    path = config(tmp_path, store_url, smtp.port)
    code, out, err = collect(capsys, path)
    assert code == exits.OK, err
    said = " ".join(out.split())
    assert "3 held" in said and "2 sent" in said
    # only the invoices nothing pays are reminded: INV-1004, and Initech's INV-1005
    assert sorted(to for to, _ in recipients(smtp)) == ["ap@acme.example",
                                                        "ap@initech.example"]
    assert {s for _, s in recipients(smtp)} == {
        "Friendly reminder: invoice INV-1004 is overdue",
        "Second reminder: invoice INV-1005, USD 900.00 overdue"}
    stored = rows(company)
    for number in ("INV-1001", "INV-1002", "INV-1003"):
        assert stored[number]["status"] == "held"
        assert stored[number]["hold_rule"] == "covered_by_receipt"
        assert stored[number]["sent_at"] is None
    assert "mail:payment:r-acme" in stored["INV-1001"]["last_error"]
    assert "mail:payment:r-globex-1" in stored["INV-1003"]["last_error"]
    assert "mail:payment:r-globex-2" in stored["INV-1003"]["last_error"]
    listed = held_list(capsys, path)
    assert listed.count("│ covered_by_receipt │") == 3  # the rule column
    assert "INV-1004" not in listed
    with company.connect() as conn:
        actions = [a for (a,) in conn.execute(sa.select(audit_log.c.action))]
    assert actions.count("reminder.held") == 3

    code, out, _ = collect(capsys, path)  # again: nothing new, nothing sent
    assert len(smtp.messages) == 2 and "0 reminder(s) queued" in out


def test_paid_in_another_system_is_held_and_released_when_that_changes(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    put(company, invoice("INV-1005", "2026-12-01", "900.00", "cus_9", "Initech",
                         source="stripe", status="paid", paid="900.00"))
    path = config(tmp_path, store_url, smtp.port)
    code, out, err = collect(capsys, path, "--no-send")
    assert code == exits.OK, err
    stored = rows(company)
    assert stored["INV-1005"]["status"] == "held"
    assert stored["INV-1005"]["hold_rule"] == "paid_elsewhere"
    assert "stripe:invoice:stripe-INV-1005" in stored["INV-1005"]["last_error"]
    assert "is paid" in stored["INV-1005"]["last_error"]
    code, out, err = collect(capsys, path)
    assert "ap@initech.example" not in [to for to, _ in recipients(smtp)]
    assert len(smtp.messages) == 4  # INV-1001 .. INV-1004
    assert "paid_elsewhere" in held_list(capsys, path)

    # Stripe's copy is open again (the payment was refunded): the reminder goes
    put(company, invoice("INV-1005", "2026-12-01", "900.00", "cus_9", "Initech",
                         source="stripe"))
    code, out, err = collect(capsys, path)
    assert "1 released" in " ".join(out.split()), out
    assert ("ap@initech.example", "Second reminder: invoice INV-1005, USD 900.00 overdue"
            ) in recipients(smtp)
    assert rows(company)["INV-1005"]["status"] == "sent"


def test_a_hold_found_right_before_sending_stops_a_queued_reminder(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)
    collect(capsys, path, "--no-send")
    assert rows(company)["INV-1003"]["status"] == "queued"
    put(company, remittance("r-globex", "500.00", "Globex", "INV-1003", "2026-12-30"))
    _code, out, _ = collect(capsys, path)
    said = " ".join(out.split())
    assert "1 held right before sending" in said
    assert "pay@globex.example" not in [to for to, _ in recipients(smtp)]
    assert rows(company)["INV-1003"]["hold_rule"] == "covered_by_receipt"


def test_every_message_has_the_opt_out_line_and_a_reply_to(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    collect(capsys, config(tmp_path, store_url, smtp.port))
    assert len(smtp.messages) == 5
    for envelope in smtp.messages:
        message = message_from_bytes(envelope.content)
        assert message["Reply-To"] == "collections@northwind.example"
        assert message["List-Unsubscribe"] == (
            "<mailto:collections@northwind.example?subject=STOP>")
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = " ".join(payload.decode().split())
        assert ("To stop these reminders, reply to collections@northwind.example with the "
                "word STOP") in body


def _zone_at(hour: int) -> str:
    now = datetime.now(UTC)
    east = (hour - now.hour) % 24
    east = east - 24 if east > 14 else east
    return "Etc/GMT" if east == 0 else f"Etc/GMT{'-' if east > 0 else '+'}{abs(east)}"


def test_outside_the_customers_contact_hours_a_reminder_waits(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    night = _zone_at(3)  # it is about 03:00 there now
    put(company, Customer(source="books", external_id="C2", name="Globex",
                          email="pay@globex.example", metadata={"time_zone": night}))
    path = config(tmp_path, store_url, smtp.port)
    _code, out, _ = collect(capsys, path)
    assert "1 wait for the customer's contact hours" in " ".join(out.split())
    assert "pay@globex.example" not in [to for to, _ in recipients(smtp)]
    waiting = rows(company)["INV-1003"]
    assert (waiting["status"], waiting["hold_rule"]) == ("queued", "contact_hours")
    assert f"in {night}, outside the contact hours 08:00-21:00" in waiting["last_error"]
    assert "contact_hours" in held_list(capsys, path)


def test_the_contact_cap_holds_back_what_is_over_it(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port, "max_contacts = 2\n")
    collect(capsys, path)
    acme = [to for to, _ in recipients(smtp) if to == "ap@acme.example"]
    assert len(acme) == 2  # of three invoices
    capped = [r for r in rows(company).values() if r["hold_rule"] == "contact_cap"]
    assert len(capped) == 1 and capped[0]["status"] == "queued"
    assert "2 reminder(s) went to books:customer:C1 in the last 7 days" in capped[0][
        "last_error"]


@pytest.mark.parametrize(("extra", "message"), [
    ("max_contacts = 8\n", "collections.max_contacts"),
    ("contact_window_days = 3\n", "collections.contact_window_days"),
    ('contact_hours = { start = "07:00", end = "21:00" }\n', "never widened"),
    ('time_zone = "Mars/Olympus"\n', "is not a time zone"),
    ("holidays_off = true\n", "holidays_off needs country"),
    ('country = "XX"\n', "no holiday calendar for country 'XX'"),
    ('stages = [{ days_overdue = 7, action = "call", template = "firm" }]\n',
     "takes no template"),
])
def test_settings_that_would_break_a_rule_are_refused(
        store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str,
        message: str) -> None:
    body = CONFIG.replace("SMTP_PORT", "1").replace("EXTRA", extra)
    if "time_zone" in extra:
        body = body.replace('time_zone = "ZONE"\n', "")
    body = body.replace("ZONE", "UTC")
    path = write_config(tmp_path, store_url, body)
    code, _, err = cli(capsys, "--config", str(path), "collect", "--dry-run")
    assert code == exits.USAGE
    assert message in " ".join(err.split())


def test_task_stages_are_recorded_for_a_person_not_sent(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)  # the default stages
    code, _, _ = cli(capsys, "--config", str(path), "collect", "--today",
                       str(date(2026, 12, 1) + timedelta(days=46)))
    assert code == exits.NEEDS_PERSON
    tasks = {r["invoice_number"]: r for r in rows(company).values() if r["status"] == "task"}
    assert set(tasks) == {"INV-1001", "INV-1003", "INV-1005"}  # 46 days overdue: call
    assert tasks["INV-1001"]["template"] == "call"
    assert tasks["INV-1001"]["subject"].startswith("Call Acme Corp about invoice INV-1001")
    assert all("Call " not in (message_from_bytes(e.content)["Subject"] or "")
               for e in smtp.messages)
    rid = str(tasks["INV-1001"]["id"])
    code, _out, _ = cli(capsys, "--config", str(path), "reminders", "done", rid)
    assert code == exits.OK and rows(company)["INV-1001"]["status"] == "done"


def test_credit_notes_that_take_the_balance_off_hold_the_reminder(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    put(company, CreditNote(source="books", external_id="CN-1", number="CN-1",
                            invoice_ref="books-INV-1004", customer_ref="C1",
                            issue_date=date(2026, 12, 20), currency="USD",
                            total=Decimal("300.00")))
    path = config(tmp_path, store_url, smtp.port)
    collect(capsys, path, "--no-send")
    held = rows(company)["INV-1004"]
    assert (held["status"], held["hold_rule"]) == ("held", "credited")
    assert "take $300.00 off books:invoice:books-INV-1004" in held["last_error"]


def test_a_payment_applied_awaiting_confirmation_holds_the_reminder(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write_company(tmp_path)
    ledger.install(tmp_path / "site", monkeypatch)
    body = BODY.replace('[connectors.books]\ntype = "csv"',
                        '[connectors.books]\ntype = "csv-ledger"', 1)
    path = write_config(tmp_path, store_url, body + """
[connectors.mail]
type = "email"
imap = { host = "127.0.0.1", port = 1, tls = "none", username = "ar", password = "env:X" }
smtp = { host = "127.0.0.1", port = 1, tls = "none" }

[collections]
source = "books"
mailer = "mail"
from_address = "ar@northwind.example"
""")
    for name in ("books", "shop", "bank"):  # not the mailbox: no IMAP server here
        code, out, err = cli(capsys, "sync", name, "--no-progress")
        assert code == exits.OK, out + err

    def dry_run() -> str:
        code, out, err = cli(capsys, "--config", str(path), "collect", "--dry-run",
                             "--today", "2026-05-01")
        assert code == exits.OK, err
        return " ".join(out.split())

    before = dry_run()
    assert "held INV-1002" not in before
    # a receipt cash application could not decide on, whose best suggestion pays it
    assert ("held INV-1005 (7d friendly): possibly_paid: $98.00 from Hooli (bank:payment:P3, "
            "2026-03-22) may pay the $99.00 open on books:invoice:INV-1005") in before
    # open in books, paid in the shop's copy
    assert "held INV-1001 (30d firm): paid_elsewhere: shop:invoice:" in before
    code, out, err = cli(capsys, "apply-payment", "bank:P6", "books:INV-1002")
    assert code == exits.OK, err
    said = dry_run()
    assert ("held INV-1002 (30d firm): applied_awaiting_confirmation: $77.00 from "
            "bank:payment:P6 applied to books:invoice:INV-1002, queued for books and not "
            "confirmed yet") in said


@pytest.mark.parametrize("state", ["void", "uncollectible"])
def test_void_or_uncollectible_in_another_system_holds_the_reminder(
        company: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], state: str) -> None:
    put(company, invoice("INV-1003", "2026-12-01", "500.00", "cus_2", "Globex",
                         source="stripe", status=state))
    collect(capsys, config(tmp_path, store_url, smtp.port), "--no-send")
    held = rows(company)["INV-1003"]
    assert (held["status"], held["hold_rule"]) == ("held", "paid_elsewhere")
    assert held["last_error"].endswith(f"its copy in stripe) is {state}")
