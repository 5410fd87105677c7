"""Fuzzing beyond CSV: generated webhook bodies, mails and config files go through the
public entry points (the webhook endpoint, ``billing-hub sync`` of a mailbox on a real
Dovecot, ``billing-hub config check``) on each store. The servers never answer 5xx and log
no traceback; every mail is stored or quarantined with a reason; a config is accepted or
refused with a message, never a traceback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.store import open_store
from plugins.email.message import external_id_of
from plugins.stripe.simulator import sign
from tests.hostile.test_servers import WHSEC, client, site  # noqa: F401 (fixtures)
from tests.support.hub import cli, quarantined, stored, write_config
from tests.support.mail import FOLDER, PASSWORD, Dovecot, needs_dovecot

EXAMPLES = 25
"""Examples per store of each fuzzer in each run of the suite."""
_FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

_EVENT = {"id": "evt_1", "object": "event", "type": "invoice.paid", "created": 1,
          "data": {"object": {"id": "in_1", "object": "invoice"}}}
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12)
_BODIES = st.one_of(
    st.binary(max_size=300),
    _JSONISH.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(list(_EVENT)), _JSONISH, max_size=6)
    .map(lambda d: json.dumps({**_EVENT, **d}).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=_FIXTURES)
@given(body=_BODIES, signed=st.booleans())
def test_any_webhook_body_gets_an_answer_below_500(
        client, body: bytes, signed: bool,  # noqa: F811 (the fixture)
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["Stripe-Signature"] = sign(body, WHSEC, int(time.time()))
    r = client.post("/webhooks/stripe", content=body, headers=headers)
    assert r.status_code < 500, (r.status_code, r.text)
    assert not [rec for rec in caplog.records if rec.exc_info], caplog.text


_HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "Content-Type",
            "Content-Transfer-Encoding", "MIME-Version"]
_MAILS = st.lists(st.tuples(st.sampled_from(_HEADERS), st.binary(max_size=60)), max_size=7) \
    .flatmap(lambda headers: st.binary(max_size=400).map(
        lambda body: b"".join(name.encode() + b": " + value.replace(b"\n", b" ") + b"\r\n"
                              for name, value in headers) + b"\r\n" + body))


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dovecot]:
    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    server = Dovecot().start()
    try:
        server.create()
        yield server
    finally:
        server.stop()


_APPENDED: dict[int, list[bytes]] = {}
"""What each test's mailbox holds: the examples share it (one Dovecot per test)."""


@needs_dovecot
@settings(max_examples=5, deadline=None, suppress_health_check=_FIXTURES)
@given(mails=st.lists(_MAILS, min_size=1, max_size=4))
def test_any_mail_is_stored_or_quarantined_with_a_reason(
        mailbox: Dovecot, tmp_path_factory: pytest.TempPathFactory, store_url: str,
        capsys: pytest.CaptureFixture[str], mails: list[bytes]) -> None:
    folder = tmp_path_factory.mktemp("mail")
    url = store_url if not store_url.startswith("sqlite") else f"sqlite:///{folder}/m.db"
    config = write_config(folder, url, f"""
[connectors.mail]
type = "email"

[connectors.mail.imap]
host = "127.0.0.1"
port = {mailbox.port}
tls = "none"
username = "ar@example.com"
password = "env:MAIL_PASSWORD"
folder = "{FOLDER}"
""")
    held = _APPENDED.setdefault(id(mailbox), [])
    for mail in mails:
        mailbox.append(mail)
        held.append(mail)
    code, out, err = cli(capsys, "--config", str(config), "sync", "mail", "--no-progress")
    assert code in (0, 3), (code, out, err)
    assert "Traceback" not in out + err
    engine = open_store(url)
    try:
        kept = len(stored(engine, source="mail")) + len(quarantined(engine))
        assert all(q["reason"] for q in quarantined(engine))
    finally:
        engine.dispose()
    # every mail the box holds is stored or quarantined (one record per Message-ID)
    assert len({external_id_of(m) for m in held}) <= kept <= len(set(held))


_GOOD = """[store]
url = "sqlite:///fuzz.db"

[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "invoices.csv"
preset = "quickbooks-invoices"

[reconcile.matching]
duplicate_window_days = 10
"""
_EDITS = st.lists(st.tuples(st.integers(0, len(_GOOD)), st.text(
    alphabet=st.sampled_from(list('[]"=.,{}\n#abc01 \\\x00\u00e9')), max_size=8)),
    max_size=4)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=_FIXTURES)
@given(edits=_EDITS)
def test_any_config_file_is_accepted_or_refused_with_a_message(
        tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str],
        edits: list[tuple[int, str]]) -> None:
    text = _GOOD
    for at, inserted in edits:
        text = text[:at] + inserted + text[at:]
    folder: Path = tmp_path_factory.mktemp("cfg")
    config = folder / "billing-hub.toml"
    config.write_text(text, encoding="utf-8", errors="surrogatepass")
    code, out, err = cli(capsys, "--config", str(config), "config", "check")
    assert code in (0, 1, 2), (code, out, err)
    assert "Traceback" not in out + err
    if code:
        assert (out + err).strip()  # refused with a message
