"""The email connector against a real IMAP server (Dovecot, started by the tests).

Mail is put in the mailbox over IMAP as a mail program would; the hub's sync
engine pulls it into the store (SQLite, and PostgreSQL when configured).
"""

from __future__ import annotations

import imaplib
import logging
from collections.abc import Iterator
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import ValidationError

from hub.errors import HubError
from hub.secrets import RedactingFilter
from plugins.email.config import EmailConfig
from plugins.email.imap import Folder
from plugins.email.message import MailFacts, read_message
from tests.support.hub import counts, hub, quarantined, stored
from tests.support.mail import FOLDER, PASSWORD, Dovecot, needs_dovecot, remittance

pytestmark = needs_dovecot


@pytest.fixture
def dovecot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dovecot]:
    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    server = Dovecot().start()
    try:
        server.create()
        yield server
    finally:
        server.stop()


def body(server: Dovecot, **imap: Any) -> str:
    extra = "".join(f"{k} = {v!r}\n".replace("'", '"').replace("True", "true")
                    .replace("False", "false") for k, v in imap.items())
    return f"""
[connectors.mail]
type = "email"

[connectors.mail.imap]
host = "127.0.0.1"
port = {server.port}
tls = "none"
username = "ar@example.com"
password = "env:MAIL_PASSWORD"
folder = "{FOLDER}"
page_size = 2
{extra}
"""


WORDINGS: dict[str, EmailMessage] = {
    "plain": remittance(
        "Hello,\n\nwe paid invoices 1001 and 1002, USD 1,250.00, wire ref ABC123, on "
        "2026-11-20.\n\nKind regards,\nAcme AP", message_id="<plain@acme.example>"),
    "table": remittance(
        "Payment advice\n\nInvoice      Amount\nINV-1003     USD 500.00\nINV-1004     USD 750.25\n"
        "Total        USD 1,250.25\n\nPayment date: 11/18/2026\nACH trace 0210000089\n",
        message_id="<table@acme.example>"),
    "decimal_comma": remittance(
        "Guten Tag,\n\nfür Rechnung RE-2026-17 haben wir 1.234,56 EUR überwiesen, "
        "Wertstellung 21.11.2026, Referenz: SEPA-99812.\n\nMit freundlichen Grüßen",
        sender="Müller GmbH <buchhaltung@mueller.example>", message_id="<comma@mueller.example>"),
    "forwarded": remittance(
        "FYI, see below.\n\n---------- Forwarded message ---------\n"
        "From: Jane Payer <jane@bigco.example>\nDate: Thu, 19 Nov 2026 09:00:00 +0000\n"
        "Subject: Payment sent\n\nWe have sent GBP 300.00 for invoice #77 on 19 November 2026. "
        "Ref: TRX-5561\n", subject="Fwd: Payment sent",
        sender="Bob Colleague <bob@northwind.example>", message_id="<fwd@northwind.example>"),
}


def _attached_forward() -> EmailMessage:
    inner = remittance("Payment of $980.00 made on December 1, 2026 for invoice INV-1010 by "
                       "check no. 4521.", sender="Globex AP <ap@globex.example>",
                       message_id="<inner@globex.example>")
    outer = EmailMessage()
    outer["From"] = "Bob Colleague <bob@northwind.example>"
    outer["To"] = "ar@northwind.example"
    outer["Subject"] = "Fwd: remittance"
    outer["Date"] = "Wed, 02 Dec 2026 08:00:00 +0000"
    outer["Message-ID"] = "<attached@northwind.example>"
    outer.set_content("Forwarding the remittance Globex sent.\n")
    outer.add_attachment(inner)
    return outer


def test_remittances_in_several_wordings_become_payments(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    for message in [*WORDINGS.values(), _attached_forward()]:
        dovecot.append(message)
    with hub(tmp_path, store_url, body(dovecot)) as (sync, engine, _config):
        first = sync.sync("mail")
        assert first.status == "succeeded", first.error
        assert counts(first, "payment") == (5, 0, 0, 0)
        got = stored(engine, "payment", "mail")

        plain = got["plain@acme.example"]
        assert (plain["amount"], plain["currency"], plain["received_date"]) == (
            "1250.00", "USD", "2026-11-20")
        assert (plain["reference"], plain["method"], plain["payer_name"]) == (
            "ABC123", "wire", "Acme Accounts Payable")
        assert plain["applications"] == []  # the split is not said: the reconciler suggests
        assert "invoices 1001, 1002" in plain["memo"]

        table = got["table@acme.example"]
        assert (table["amount"], table["received_date"]) == ("1250.25", "2026-11-18")
        assert [(a["invoice_number"], a["amount"]) for a in table["applications"]] == [
            ("INV-1003", "500.00"), ("INV-1004", "750.25")]
        assert table["reference"] == "0210000089" and table["method"] == "ach"

        comma = got["comma@mueller.example"]
        assert (comma["amount"], comma["currency"], comma["received_date"]) == (
            "1234.56", "EUR", "2026-11-21")
        assert comma["applications"] == [{"invoice_ref": None, "invoice_number": "RE-2026-17",
                                          "amount": "1234.56", "currency": None}]
        assert comma["reference"] == "SEPA-99812"

        fwd = got["fwd@northwind.example"]
        assert (fwd["amount"], fwd["currency"], fwd["payer_name"]) == ("300.00", "GBP",
                                                                       "Jane Payer")
        assert fwd["received_date"] == "2026-11-19"  # not the forward's Date: line

        attached = got["attached@northwind.example"]
        assert (attached["amount"], attached["received_date"], attached["method"]) == (
            "980.00", "2026-12-01", "check")
        assert attached["applications"][0]["invoice_number"] == "INV-1010"
        assert attached["payer_name"] == "Globex AP"
        assert all(Decimal(p["amount"]) > 0 for p in got.values())

        again = sync.sync("mail")
        assert counts(again, "payment") == (0, 0, 0, 0)  # nothing new in the folder


def test_new_mail_only_then_a_new_uidvalidity_reads_everything_and_changes_nothing(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    for message in WORDINGS.values():
        dovecot.append(message)
    with hub(tmp_path, store_url, body(dovecot)) as (sync, engine, _config):
        assert counts(sync.sync("mail"), "payment") == (4, 0, 0, 0)
        dovecot.append(remittance("Paid USD 42.00 for invoice 1005 on 2026-11-25.",
                                  message_id="<new@acme.example>"))
        newer = sync.sync("mail")
        assert counts(newer, "payment") == (1, 0, 0, 0)

        dovecot.recreate()  # the server renumbers the folder
        reread = sync.sync("mail")
        assert counts(reread, "payment") == (0, 0, 5, 0)
        assert len(stored(engine, "payment", "mail")) == 5
    assert not any("\\Seen" in f for f in dovecot.flags())  # the mailbox was only read


def _broken(kind: str) -> bytes:
    head = ("From: Acme AP <ap@acme.example>\r\nTo: ar@northwind.example\r\n"
            f"Subject: {kind}\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{kind}@acme.example>\r\nMIME-Version: 1.0\r\n")
    if kind == "no-boundary":
        return (head + "Content-Type: multipart/mixed\r\n\r\nWe paid USD 10.00 for invoice 1."
                "\r\n").encode()
    if kind == "unknown-charset":
        return (head + 'Content-Type: text/plain; charset="x-klingon-8"\r\n\r\n'
                "We paid USD 10.00 for invoice 1.\r\n").encode()
    if kind == "bad-bytes":
        return (head + 'Content-Type: text/plain; charset="utf-8"\r\n'
                "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + (
            "Wir zahlten EUR 10,00 für Rechnung 1.\r\n".encode("latin-1"))
    if kind == "punycode":  # a text codec that raises UnicodeError, not UnicodeDecodeError
        return (head + 'Content-Type: text/plain; charset="punycode"\r\n\r\n'
                "We paid USD 10.00 for invoice 1.\r\n").encode()
    if kind == "nul-charset":  # RFC 2231 lets a parameter carry a NUL, which no codec name has
        return (head + "Content-Type: text/plain; charset*=us-ascii''utf%008\r\n\r\n"
                "We paid USD 10.00 for invoice 1.\r\n").encode()
    if kind == "empty-id":  # Message-ID: <>, which the e-mail package's own parser trips on
        return (head.replace(f"<{kind}@acme.example>", "<>")
                + "\r\nWe paid USD 10.00 for invoice 1 on 2026-11-20.\r\n").encode()
    if kind == "zero-line":  # an invoice listed with nothing paid against it
        return (head + "\r\nInvoice      Amount\r\nINV-1003     USD 0.00\r\n"
                "INV-1004     USD 750.25\r\nTotal        USD 750.25\r\n").encode()
    raise AssertionError(kind)


def test_mail_that_is_not_a_payment_is_a_reply_and_only_broken_mail_is_quarantined(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    dovecot.append(remittance("Thanks for the invoice, we will pay next week.",
                              message_id="<no-amount@acme.example>"))
    dovecot.append(remittance("We paid USD 100.00 and also EUR 50.00 for invoice 7.",
                              message_id="<two-currencies@acme.example>"))
    for kind in ("no-boundary", "unknown-charset", "bad-bytes"):
        dovecot.append(_broken(kind))
    dovecot.append(WORDINGS["plain"])
    with hub(tmp_path, store_url, body(dovecot)) as (sync, engine, _config):
        summary = sync.sync("mail")
        assert summary.status == "succeeded"
        assert counts(summary, "payment") == (1, 0, 0, 4)
        assert counts(summary, "reply") == (1, 0, 0, 0)  # no amount: not quarantined for it
        assert list(stored(engine, "payment", "mail")) == ["plain@acme.example"]
        reply = stored(engine, "reply", "mail")["no-amount@acme.example"]
        assert reply["kind"] == "promise" and "we will pay next week" in reply["text"]
        rows = {r["external_id"]: r for r in quarantined(engine)}
        reasons = {k: r["reason"] for k, r in rows.items()}
        assert "no-amount@acme.example" not in reasons
        assert "2 currencies" in reasons["two-currencies@acme.example"]
        assert "MIME structure is broken" in reasons["no-boundary@acme.example"]
        assert "unknown charset 'x-klingon-8'" in reasons["unknown-charset@acme.example"]
        assert "not valid utf-8" in reasons["bad-bytes@acme.example"]
        assert "rfc822_base64" in rows["bad-bytes@acme.example"]["raw"]  # kept byte for byte
        assert all(r["location"].startswith(f"{FOLDER} uid ") for r in rows.values())

        again = sync.sync("mail")  # nothing new: nothing quarantined twice
        assert counts(again, "payment") == (0, 0, 0, 0)
        assert counts(again, "reply") == (0, 0, 0, 0)
        assert len(quarantined(engine)) == 4


def test_a_charset_whose_codec_fails_otherwise_is_quarantined_and_the_run_goes_on(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    dovecot.append(_broken("punycode"))
    dovecot.append(WORDINGS["plain"])
    with hub(tmp_path, store_url, body(dovecot)) as (sync, engine, _config):
        summary = sync.sync("mail")
        assert summary.status == "succeeded", summary.error
        assert counts(summary, "payment") == (1, 0, 0, 1)
        row = quarantined(engine)[0]
        assert row["external_id"] == "punycode@acme.example"
        assert "not valid punycode" in row["reason"] and "invoice 1." in row["raw"]


def test_hostile_headers_and_tables_are_read_or_quarantined_and_the_run_goes_on(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    for kind in ("nul-charset", "empty-id", "zero-line"):
        dovecot.append(_broken(kind))
    dovecot.append(WORDINGS["plain"])
    with hub(tmp_path, store_url, body(dovecot)) as (sync, engine, _config):
        summary = sync.sync("mail")
        assert summary.status == "succeeded", summary.error
        assert counts(summary, "payment") == (2, 0, 0, 2)
        got = stored(engine, "payment", "mail")
        assert got["plain@acme.example"]["amount"] == "1250.00"
        empty_id = next(p for k, p in got.items() if k.startswith("sha256:"))  # no usable id
        assert (empty_id["amount"], empty_id["received_date"]) == ("10.00", "2026-11-20")
        reasons = {r["external_id"]: r["reason"] for r in quarantined(engine)}
        assert "unknown charset 'utf\\x008'" in reasons["nul-charset@acme.example"]
        assert "applied amount must be positive" in reasons["zero-line@acme.example"]


def test_a_message_the_reader_trips_on_is_quarantined_and_the_run_goes_on(
        dovecot: Dovecot, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import plugins.email.inbound as connector

    def read(source: bytes) -> MailFacts:
        if b"<trips@acme.example>" in source:
            raise IndexError("list index out of range")  # as the e-mail package's parser does
        return read_message(source)

    monkeypatch.setattr(connector, "read_message", read)
    dovecot.append(remittance("We paid USD 10.00 on 2026-11-20.",
                              message_id="<trips@acme.example>"))
    dovecot.append(WORDINGS["plain"])
    with hub(tmp_path, store_url, body(dovecot)) as (sync, engine, _config):
        summary = sync.sync("mail")
        assert summary.status == "succeeded", summary.error
        assert counts(summary, "payment") == (1, 0, 0, 1)
        row = quarantined(engine)[0]
        assert row["external_id"] == "trips@acme.example"
        assert "could not be read (IndexError: list index out of range)" in row["reason"]
        assert "USD 10.00" in row["raw"]


def test_a_lone_separator_is_a_thousands_group_only_where_it_can_be_one(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    for key, text in {"grouped": "USD 1,250", "decimals": "KWD 1250.500",
                      "too-fine": "USD 1250.123", "either": "KWD 1.250"}.items():
        dovecot.append(remittance(f"We paid {text} for invoice 1001 on 2026-11-20.",
                                  message_id=f"<{key}@acme.example>"))
    with hub(tmp_path, store_url, body(dovecot)) as (sync, engine, _config):
        assert counts(sync.sync("mail"), "payment") == (2, 0, 0, 2)
        got = {k: (p["amount"], p["currency"]) for k, p in stored(engine, "payment",
                                                                  "mail").items()}
        assert got == {"grouped@acme.example": ("1250.00", "USD"),
                       "decimals@acme.example": ("1250.500", "KWD")}  # not 1,250,500
        reasons = {r["external_id"]: r["reason"] for r in quarantined(engine)}
        assert "more decimal places than USD allows" in reasons["too-fine@acme.example"]
        assert "may be a thousand or one with KWD's 3 decimals" in reasons["either@acme.example"]
        assert "set parsing.decimal" in reasons["either@acme.example"]


class _UidLast:
    """An IMAP client whose server names the UID after the message's literal, as RFC 3501
    allows (imaplib then gives the literal's tuple and a separate ``b' UID 7)'``)."""

    def uid(self, command: str, *args: str) -> tuple[str, list[Any]]:
        assert command == "FETCH"
        return "OK", [(b"1 (BODY[] {5}", b"hello"), b" UID 7)",
                      (b"2 (UID 8 BODY[] {5}", b"world"), b")"]


def test_a_fetch_answer_with_the_uid_after_the_message_loses_nothing() -> None:
    folder = Folder(cast(imaplib.IMAP4, _UidLast()), FOLDER, 1, "mail")
    assert folder.fetch([7, 8]) == {7: b"hello", 8: b"world"}


def test_a_message_too_large_is_quarantined_with_its_headers_only(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    dovecot.append(remittance("We paid USD 10.00 for invoice 3.\n" + "x" * 5000,
                              message_id="<huge@acme.example>"))
    with hub(tmp_path, store_url, body(dovecot, max_message_bytes=2000)) as (sync, engine, _):
        assert counts(sync.sync("mail"), "payment") == (0, 0, 0, 1)
        row = quarantined(engine)[0]
        assert "over imap.max_message_bytes" in row["reason"]
        assert "Message-ID: <huge@acme.example>" in row["raw"] and "xxxx" not in row["raw"]


def test_mail_from_untrusted_senders_is_skipped(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    dovecot.append(WORDINGS["plain"])
    dovecot.append(WORDINGS["decimal_comma"])
    config = body(dovecot, trusted_senders=["@acme.example"])
    with hub(tmp_path, store_url, config) as (sync, engine, _config):
        assert counts(sync.sync("mail"), "payment") == (1, 0, 0, 0)
        assert list(stored(engine, "payment", "mail")) == ["plain@acme.example"]


def test_mark_seen_is_the_only_way_the_connector_changes_the_mailbox(
        dovecot: Dovecot, tmp_path: Path, store_url: str) -> None:
    dovecot.append(WORDINGS["plain"])
    with hub(tmp_path, store_url, body(dovecot, mark_seen=True)) as (sync, _engine, _config):
        sync.sync("mail")
    assert all("\\Seen" in f for f in dovecot.flags())


def test_the_password_never_shows_in_errors_or_logs(
        dovecot: Dovecot, tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    wrong = "Wrong-Imap-Pass-0815"
    monkeypatch.setenv("MAIL_PASSWORD", wrong)
    caplog.set_level(logging.DEBUG)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    with hub(tmp_path, store_url, body(dovecot)) as (sync, _engine, _config), pytest.raises(
            HubError) as failed:
        sync.sync("mail")
    message = str(failed.value)
    assert "refused the login of 'ar@example.com'" in message
    assert wrong not in message and wrong not in caplog.text
    assert wrong not in repr(failed.value.__context__) if failed.value.__context__ else True


def test_clear_text_imap_is_refused_beyond_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    with pytest.raises(ValidationError, match="only allowed for a server on this machine"):
        EmailConfig.model_validate({"imap": {"host": "mail.example.com", "tls": "none",
                                             "username": "u", "password": "env:MAIL_PASSWORD"}})
    with pytest.raises(ValidationError, match="env:VARIABLE_NAME"):
        EmailConfig.model_validate({"imap": {"host": "mail.example.com", "username": "u",
                                             "password": PASSWORD}})
