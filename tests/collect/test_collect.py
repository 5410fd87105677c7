"""Collection rules: which overdue invoice gets which reminder, queued once (both stores)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.collect.plan import (
    CANCELLED,
    QUEUED,
    SENT,
    UNCONFIRMED,
    message_id_for,
    plan,
    queue,
    reminder_key,
)
from hub.collect.sender import ReminderSender
from hub.collect.settings import CollectionSettings, render
from hub.config import load_config
from hub.contract.mail import Mailer
from hub.models import CanonicalRecord, Customer, Invoice
from hub.plugins import load_plugins
from hub.store import audit
from hub.store import records as store_records
from hub.store.clock import utcnow
from hub.store.schema import reminders
from tests.support.clock import zone_at_midday
from tests.support.hub import cli, connector_of, write_config
from tests.support.mail import SmtpCapture

TODAY = "2026-12-31"

COLLECTIONS = """
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
from_name = "Northwind Supplies, Accounts Receivable"
reply_to = "collections@northwind.example"
company = "Northwind Supplies"
time_zone = "ZONE"
stages = [
  { days_overdue = 7, template = "friendly" },
  { days_overdue = 30, template = "firm" },
]
"""


def invoice(number: str, due: str, *, customer: str | None = "C1", total: str = "1250.00",
            paid: str = "0", status: str = "open", source: str = "books",
            name: str | None = "Acme Corp", **extra: Any) -> Invoice:
    return Invoice(source=source, external_id=f"id-{number}", number=number,
                   customer_ref=customer, customer_name=name, issue_date=date(2026, 10, 1),
                   due_date=date.fromisoformat(due), currency="USD", total=Decimal(total),
                   amount_paid=Decimal(paid), status=status, **extra)


def put(engine: Engine, *items: CanonicalRecord) -> None:
    with engine.begin() as conn:
        for item in items:
            store_records.upsert(conn, item.source, item.entity,
                                 [store_records.prepare(item)], run_id=None, now=utcnow())


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X", "imap-Secret-4711")


def config(tmp_path: Path, store_url: str, smtp_port: int = 2525, text: str = "") -> Path:
    body = (text or COLLECTIONS).replace("SMTP_PORT", str(smtp_port)).replace(
        "ZONE", zone_at_midday())
    return write_config(tmp_path, store_url, body)


@pytest.fixture
def books(engine: Engine) -> Engine:
    put(engine,
        Customer(source="books", external_id="C1", name="Acme Corp", email="ap@acme.example"),
        Customer(source="books", external_id="C2", name="Globex", email="pay@globex.example"),
        Customer(source="books", external_id="C3", name="Initech"),
        invoice("INV-1", "2026-12-20"),                                   # 11 days: friendly
        invoice("INV-2", "2026-11-15", customer="C2", name="Globex"),     # 46 days: firm only
        invoice("INV-3", "2026-10-15", paid="1250.00", status="paid"),    # paid: never
        invoice("INV-4", "2026-12-28"),                                   # 3 days: not yet
        invoice("INV-5", "2026-12-01", customer="C3", name="Initech"),    # no address
        invoice("INV-6", "2026-10-01", status="void"),                    # void: never
        invoice("INV-7", "2026-10-01", source="stripe"),                  # not dunned here
        invoice("INV-8", "2026-12-10", paid="1000.00", status="partially_paid", customer=None,
                name="Globex"))                                           # by name: friendly
    return engine


def settings() -> CollectionSettings:
    return CollectionSettings.model_validate({
        "source": "books", "mailer": "mail", "from_address": "ar@northwind.example",
        "company": "Northwind Supplies",
        "stages": [{"days_overdue": 7, "template": "friendly"},
                   {"days_overdue": 30, "template": "firm"}]})


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(reminders).order_by(reminders.c.id))]


def test_plan_picks_the_latest_stage_reached_of_open_invoices_only(books: Engine) -> None:
    with books.connect() as conn:
        planned = plan(conn, settings(), date.fromisoformat(TODAY))
    got = {p.invoice_number: (p.stage.template, p.days_overdue, p.to_address) for p in planned}
    assert got == {"INV-1": ("friendly", 11, "ap@acme.example"),
                   "INV-2": ("firm", 46, "pay@globex.example"),
                   "INV-5": ("firm", 30, None),
                   "INV-8": ("friendly", 21, "pay@globex.example")}
    inv1 = next(p for p in planned if p.invoice_number == "INV-1")
    assert inv1.key == reminder_key("books", "id-INV-1", 7)
    assert inv1.message_id == f"<{inv1.key}@northwind.example>"
    assert "USD 1,250.00" in inv1.body and "Dear Acme Corp" in inv1.body
    inv8 = next(p for p in planned if p.invoice_number == "INV-8")
    assert "USD 250.00" in inv8.body  # the balance, not the total
    assert next(p for p in planned if p.invoice_number == "INV-5").skipped


def test_collect_dry_run_shows_the_reminders_and_queues_nothing(
        books: Engine, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url)
    code, out, err = cli(capsys, "--config", str(path), "collect", "--dry-run", "--today", TODAY)
    assert code == exits.OK, err
    assert "dry run" in out and "INV-1" in out and "INV-2" in out and "INV-3" not in out
    assert "no e-mail address for Initech" in out
    assert rows(books) == []


def test_collect_twice_queues_nothing_new(books: Engine, store_url: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url)
    code, out, _ = cli(capsys, "--config", str(path), "collect", "--no-send", "--today", TODAY)
    assert code == exits.NEEDS_PERSON  # Initech has no address: a person must add one
    assert "3 reminder(s) queued" in out and "1 skipped" in out
    first = rows(books)
    assert sorted((r["invoice_number"], r["stage_days"], r["status"]) for r in first) == [
        ("INV-1", 7, QUEUED), ("INV-2", 30, QUEUED), ("INV-8", 7, QUEUED)]
    code, out, _ = cli(capsys, "--config", str(path), "collect", "--no-send", "--today", TODAY)
    assert "0 reminder(s) queued" in out
    assert rows(books) == first


def test_a_later_stage_replaces_an_unsent_earlier_one_and_never_resends_it(books: Engine) -> None:
    with books.begin() as conn:
        queue(conn, plan(conn, settings(), date(2026, 12, 31)), mailer="mail", now=utcnow())
        conn.execute(reminders.update().where(reminders.c.invoice_number == "INV-8")
                     .values(status="sent"))
    with books.begin() as conn:  # 25 days later: INV-1 at 36 days, INV-8 at 46
        later = plan(conn, settings(), date(2027, 1, 25))
        assert {(p.invoice_number, p.stage.days_overdue) for p in later} >= {
            ("INV-1", 30), ("INV-8", 30)}
        assert "INV-2" not in {p.invoice_number for p in later}  # has its 30-day one
        counts = queue(conn, later, mailer="mail", now=utcnow())
        assert counts.cancelled == 1
    by = {(r["invoice_number"], r["stage_days"]): r["status"] for r in rows(books)}
    assert by[("INV-1", 7)] == CANCELLED and by[("INV-1", 30)] == QUEUED
    assert by[("INV-8", 7)] == "sent" and by[("INV-8", 30)] == QUEUED
    with books.connect() as conn:  # and nothing goes back to an earlier stage
        assert all(p.stage.days_overdue > 7 or p.invoice_number == "INV-5"
                   for p in plan(conn, settings(), date(2027, 1, 26)))


def test_a_paid_invoice_is_not_planned(books: Engine) -> None:
    put(books, invoice("INV-1", "2026-12-20", paid="1250.00", status="paid"))
    with books.connect() as conn:
        planned = plan(conn, settings(), date(2026, 12, 31))
    assert "INV-1" not in {p.invoice_number for p in planned}


def test_templates_are_checked_and_values_cannot_add_lines() -> None:
    with pytest.raises(ValueError, match=r"unknown placeholder \{amount\}"):
        CollectionSettings.model_validate({
            "source": "b", "mailer": "m", "from_address": "a@b.example",
            "stages": [{"days_overdue": 7, "template": "mine"}],
            "templates": {"mine": {"subject": "Pay {amount}", "body": "x"}}})
    with pytest.raises(ValueError, match="no template named 'nope'"):
        CollectionSettings.model_validate({
            "source": "b", "mailer": "m", "from_address": "a@b.example",
            "stages": [{"days_overdue": 7, "template": "nope"}]})
    text = render("Dear {customer_name}, {invoice_number}",
                  {"customer_name": "Evil\r\nBcc: all@example.com", "invoice_number": "{x}"})
    assert text == "Dear Evil Bcc: all@example.com, {x}"
    assert message_id_for("rem-abc", "ar@Northwind.example") == "<rem-abc@northwind.example>"


def test_collect_needs_a_collections_section(store_url: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, store_url, "")
    code, _, err = cli(capsys, "--config", str(path), "collect")
    assert code == exits.USAGE and "no [collections] section" in err
    bad = config(tmp_path, store_url, text=COLLECTIONS.replace('mailer = "mail"',
                                                               'mailer = "post"'))
    assert load_config(bad).has_table("collections")
    code, _, err = cli(capsys, "--config", str(bad), "collect")
    assert code == exits.USAGE and "collections.mailer" in err


# ---------------------------------------------------------------------- sending
@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    server = SmtpCapture().start()
    try:
        yield server
    finally:
        server.stop()


def headers(server: SmtpCapture) -> list[Message]:
    return [message_from_bytes(e.content) for e in server.messages]


def run_collect(capsys: pytest.CaptureFixture[str], path: Path, *extra: str
                ) -> tuple[int, str, str]:
    return cli(capsys, "--config", str(path), "collect", "--today", TODAY, *extra)


def test_collect_sends_each_reminder_once_with_a_stable_message_id(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)
    code, out, err = run_collect(capsys, path)
    assert code == exits.NEEDS_PERSON, err  # Initech has no address
    assert "3 sent" in out
    got = {m["Message-ID"]: m for m in headers(smtp)}
    key = reminder_key("books", "id-INV-1", 7)
    first = got[f"<{key}@northwind.example>"]
    assert first["To"] == "ap@acme.example"
    assert first["From"] == '"Northwind Supplies, Accounts Receivable" <ar@northwind.example>'
    assert first["Reply-To"] == "collections@northwind.example"
    assert first["Subject"] == "Friendly reminder: invoice INV-1 is overdue"
    assert first["Auto-Submitted"] == "auto-generated"
    assert "USD 1,250.00" in first.get_payload(decode=True).decode()
    assert {r["status"] for r in rows(books)} == {SENT}
    assert smtp.messages[0].mail_from == "ar@northwind.example"

    code, out, _ = run_collect(capsys, path)  # again: nothing queued, nothing sent
    assert "0 reminder(s) queued" in out and len(smtp.messages) == 3


def test_a_451_is_retried_and_the_reminder_goes_once(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    smtp.handler.refuse_next = 2
    path = config(tmp_path, store_url, smtp.port)
    run_collect(capsys, path)
    ids = [m["Message-ID"] for m in headers(smtp)]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert {r["message_id"] for r in rows(books)} == set(ids)
    assert all(r["status"] == SENT and r["attempts"] == 1 for r in rows(books))


def test_a_server_that_keeps_refusing_leaves_the_reminders_queued(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    smtp.handler.refuse_next = 100
    path = config(tmp_path, store_url, smtp.port)
    code, _, err = run_collect(capsys, path)
    assert code == exits.FAILED and "did not take the message" in err and "451" in err
    assert [r["status"] for r in rows(books)] == [QUEUED] * 3 and smtp.messages == []
    smtp.handler.refuse_next = 0
    code, out, _ = run_collect(capsys, path)
    assert "3 sent" in out and len(smtp.messages) == 3


def test_a_5xx_refusal_is_failed_for_a_person_and_the_rest_go(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    smtp.handler.refuse_next, smtp.handler.refuse_with = 1, "550 5.1.1 No such user"
    code, out, _ = run_collect(capsys, config(tmp_path, store_url, smtp.port))
    assert code == exits.NEEDS_PERSON and "1 refused" in out
    failed = [r for r in rows(books) if r["status"] == "failed"]
    assert len(failed) == 1 and "550 5.1.1 No such user" in failed[0]["last_error"]
    assert len(smtp.messages) == 2


def test_a_non_ascii_address_is_failed_for_a_person_and_the_rest_go(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    put(books, Customer(source="books", external_id="C2", name="Globex",
                        email="zahlung@bücher.example"))  # INV-2 and INV-8, sent first
    code, out, err = run_collect(capsys, config(tmp_path, store_url, smtp.port))
    assert code == exits.NEEDS_PERSON, err
    assert "1 sent, 2 refused" in out
    assert [e.rcpt_tos for e in smtp.messages] == [["ap@acme.example"]]
    failed = [r for r in rows(books) if r["status"] == "failed"]
    assert sorted(r["invoice_number"] for r in failed) == ["INV-2", "INV-8"]
    assert all("is not ASCII" in r["last_error"] for r in failed)

    path = config(tmp_path, store_url, smtp.port)
    rid = str(failed[0]["id"])
    code, _, err = cli(capsys, "--config", str(path), "reminders", "resend", rid,
                       "--to", "pay@globex.example\r\nBcc: all@x.example")
    assert code == exits.USAGE and "not an e-mail address" in err
    code, out, _ = cli(capsys, "--config", str(path), "reminders", "resend", rid,
                       "--to", " zahlung@buecher.example ")
    assert code == exits.OK and "sends it to zahlung@buecher.example" in " ".join(out.split())
    run_collect(capsys, path)
    assert smtp.messages[-1].rcpt_tos == ["zahlung@buecher.example"]
    assert [r["status"] for r in rows(books) if r["invoice_number"] in ("INV-2", "INV-8")
            ] == ["sent", "failed"]
    with books.connect() as conn:
        entry = audit.recent(conn, limit=5)
    resent = [e for e in entry if e.action == "reminder.resend"]
    assert resent[0].details["to"] == {"was": "zahlung@bücher.example",
                                       "now": "zahlung@buecher.example"}


def test_an_invoice_paid_after_queueing_is_cancelled_not_reminded(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)
    run_collect(capsys, path, "--no-send")
    put(books, invoice("INV-1", "2026-12-20", paid="1250.00", status="paid"))
    _, out, _ = run_collect(capsys, path)
    assert "1 cancelled" in out
    assert "ap@acme.example" not in {e.rcpt_tos[0] for e in smtp.messages}
    status = {r["invoice_number"]: (r["status"], r["last_error"]) for r in rows(books)}
    assert status["INV-1"] == (CANCELLED, "invoice INV-1 is paid now, with nothing left to "
                                          "remind of")


def test_stage_escalation_sends_the_firm_reminder_after_the_friendly_one(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)
    run_collect(capsys, path)
    cli(capsys, "--config", str(path), "collect", "--today", "2027-01-25")
    subjects = [m["Subject"] for m in headers(smtp) if "INV-1," in m["Subject"] + ","
                or "INV-1 " in m["Subject"]]
    assert subjects == ["Friendly reminder: invoice INV-1 is overdue",
                        "Second reminder: invoice INV-1, USD 1,250.00 overdue"]
    cli(capsys, "--config", str(path), "collect", "--today", "2027-03-01")
    assert len([m for m in headers(smtp) if "invoice INV-1 " in m["Subject"] + " "
                or "INV-1," in m["Subject"]]) == 2  # no third stage is configured


def test_killed_after_the_server_accepted_is_never_sent_again_by_itself(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)
    run_collect(capsys, path, "--no-send")
    hub_config = load_config(path)
    assert hub_config.has_table("collections")
    mailer = connector_of(hub_config, "mail", registry=load_plugins())

    def killed(_rid: int) -> None:
        raise KeyboardInterrupt  # the process dies between the SMTP answer and the commit

    with pytest.raises(KeyboardInterrupt):
        ReminderSender(books, cast(Mailer, mailer), CollectionSettings.of(hub_config),
                       after_handover=killed).send()
    mailer.close()
    assert len(smtp.messages) == 1 and rows(books)[0]["status"] == "sending"

    code, out, _ = run_collect(capsys, path)
    assert "1 unconfirmed" in out and code == exits.NEEDS_PERSON
    assert len(smtp.messages) == 3  # the two others went; the first was not sent again
    first = rows(books)[0]
    assert first["status"] == UNCONFIRMED and first["message_id"] in first["last_error"]
    run_collect(capsys, path)
    assert len(smtp.messages) == 3

    code, out, _ = cli(capsys, "--config", str(path), "reminders", "resend", str(first["id"]))
    assert code == exits.OK
    run_collect(capsys, path)  # a person said it did not arrive: it goes, same Message-ID
    assert [m["Message-ID"] for m in headers(smtp)].count(first["message_id"]) == 2
    code, _, err = cli(capsys, "--config", str(path), "reminders", "confirm", str(first["id"]))
    assert code != exits.OK and "is sent" in err


def test_a_connection_lost_after_the_data_is_unconfirmed_not_resent(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    smtp.handler.drop_after_data = 1
    path = config(tmp_path, store_url, smtp.port)
    code, out, err = run_collect(capsys, path)
    assert code == exits.FAILED and "may have been accepted" in err
    assert [r["status"] for r in rows(books)] == [UNCONFIRMED, QUEUED, QUEUED]
    code, out, _ = run_collect(capsys, path)
    assert len(smtp.messages) == 3  # the first once (it did arrive), the others once
    assert [r["status"] for r in rows(books)] == [UNCONFIRMED, SENT, SENT]
    rid = str(rows(books)[0]["id"])
    assert cli(capsys, "--config", str(path), "reminders", "confirm", rid)[0] == exits.OK
    assert rows(books)[0]["status"] == SENT
    code, out, _ = cli(capsys, "--config", str(path), "reminders", "list")
    assert "INV-1" in out
    code, out, _ = cli(capsys, "--config", str(path), "reminders", "list", "--json")
    listed = {r["id"]: r for r in json.loads(out)}
    assert code == exits.OK and len(listed) == 3
    for row in rows(books):
        shown = listed[row["id"]]
        assert (shown["status"], shown["to"], shown["message_id"], shown["invoice"]) == (
            row["status"], row["to_address"], row["message_id"], row["invoice_number"])
        assert shown["sent_at"] is not None and "body" not in shown


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_password_never_shows_in_errors_or_logs(
        books: Engine, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    server = SmtpCapture(login=("ar@northwind.example", "Right-Smtp-Pass-77")).start()
    try:
        text = COLLECTIONS.replace(
            "retry_wait_seconds = 0\n",
            'retry_wait_seconds = 0\nusername = "ar@northwind.example"\n'
            'password = "env:SMTP_PASSWORD"\n')
        path = config(tmp_path, store_url, server.port, text=text)
        wrong = "Wrong-Smtp-Pass-99"
        monkeypatch.setenv("SMTP_PASSWORD", wrong)
        caplog.set_level(logging.DEBUG)
        code, out, err = cli(capsys, "-vv", "--config", str(path), "collect", "--today", TODAY)
        said = " ".join(err.split())
        assert code == exits.FAILED and "refused the login of 'ar@northwind.example'" in said
        assert wrong not in out + err + caplog.text
        assert {r["status"] for r in rows(books)} == {QUEUED}  # nothing went: queued still

        monkeypatch.setenv("SMTP_PASSWORD", "Right-Smtp-Pass-77")
        code, out, err = run_collect(capsys, path)
        assert "3 sent" in out and len(server.messages) == 3
        assert "Right-Smtp-Pass-77" not in out + err + caplog.text
    finally:
        server.stop()
