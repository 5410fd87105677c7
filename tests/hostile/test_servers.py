"""Servers never 500 on input: the webhook endpoint and the coordinator's page answer a
client's mistake (bytes that are not UTF-8, an absurd id, a body too large or not a form)
with a 4xx and a short message, and log no traceback."""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.exceptions import StarletteDeprecationWarning

from hub.config import HubConfig
from hub.plugins import load_plugins
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import Hub
from hub.web.app import create_app
from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.quickbooks.webhooks import signature
from plugins.stripe.simulator import sign
from tests.support.company import BODY, write_company
from tests.support.hub import hub
from tests.support.qbo import config_body

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "a password only for these tests"
WHSEC = "whsec_hostile_test_secret_0123456789"
VERIFIER = "a-verifier-token-for-tests"
SERVERS = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "http://127.0.0.1:9"
webhook_secret = "env:BH_TEST_STRIPE_WHSEC"

[web]
coordinator_password = "env:BH_TEST_WEB_PASSWORD"
session_secret = "env:BH_TEST_SESSION_SECRET"
max_body_bytes = 4096
process_webhooks = false
"""
NOT_UTF8 = b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "x": "M\xfcller \xff"}'


@pytest.fixture
def site(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[tuple[HubConfig, Engine]]:
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", "sk_test_hostile")
    monkeypatch.setenv("BH_TEST_STRIPE_WHSEC", WHSEC)
    monkeypatch.setenv("BH_TEST_WEB_PASSWORD", PASSWORD)
    monkeypatch.setenv("BH_TEST_SESSION_SECRET", "a-session-secret-only-for-tests")
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY + SERVERS) as (sync, engine, config):
        for name in ("books", "shop", "bank"):
            sync.sync(name)
        reconcile(engine, ReconcileSettings.of(config))
        yield config, engine


@pytest.fixture
def client(site: tuple[HubConfig, Engine]) -> Iterator[TestClient]:
    config, engine = site
    app = create_app(Hub(config, load_plugins(), engine), process_webhooks=False)
    with TestClient(app, follow_redirects=False) as c:  # a server error would raise here
        yield c


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text


def _signed_in(client: TestClient) -> None:
    form = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    r = client.post("/signin", data={"csrf": csrf.group(1), "name": "Ana",
                                     "password": PASSWORD, "next": "/"})
    assert r.status_code == 303


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_a_webhook_body_that_is_not_utf8_is_a_400(
        client: TestClient, caplog: pytest.LogCaptureFixture, signed: bool) -> None:
    caplog.set_level(logging.INFO)
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["Stripe-Signature"] = sign(NOT_UTF8, WHSEC, int(time.time()))
    r = client.post("/webhooks/stripe", content=NOT_UTF8, headers=headers)
    assert r.status_code == 400
    assert r.json()["error"] == "rejected"
    assert "not UTF-8" in r.json()["reason"] and len(r.json()["reason"]) <= 200
    _no_traceback(caplog)


@pytest.mark.parametrize("body", [b"", b"\x00" * 100, b"{", b"[]", b"\xef\xbb\xbf{}",
                                  "\ud800".encode("utf-8", "surrogatepass")])
def test_a_malformed_webhook_body_is_a_4xx(client: TestClient, body: bytes,
                                           caplog: pytest.LogCaptureFixture) -> None:
    r = client.post("/webhooks/stripe", content=body,
                    headers={"Stripe-Signature": sign(body, WHSEC, int(time.time()))})
    assert 400 <= r.status_code < 500
    _no_traceback(caplog)


def test_a_webhook_body_over_the_limit_is_a_413(client: TestClient,
                                                caplog: pytest.LogCaptureFixture) -> None:
    big = b"{" + b" " * 5000 + b"}"
    r = client.post("/webhooks/stripe", content=big, headers={"Stripe-Signature": "t=1,v1=0"})
    assert r.status_code == 413 and r.json() == {"error": "the delivery is too large"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        for _ in range(10):
            yield b" " * 1000

    r = client.post("/webhooks/stripe", content=chunks())
    assert r.status_code == 413
    _no_traceback(caplog)


def test_a_quickbooks_delivery_that_is_not_utf8_is_a_400(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("QBO_VERIFIER_TOKEN", VERIFIER)
    body = config_body(qbo, webhook_verifier_token='"env:QBO_VERIFIER_TOKEN"')
    with hub(tmp_path, store_url, body) as (_, engine, config):
        app = create_app(Hub(config, load_plugins(), engine), process_webhooks=False)
        with TestClient(app) as client:
            r = client.post("/webhooks/books", content=NOT_UTF8,
                            headers={"intuit-signature": signature(NOT_UTF8, VERIFIER)})
    assert r.status_code == 400
    _no_traceback(caplog)


@pytest.mark.parametrize("path", [
    "/findings/99999999999999999999", "/findings/2147483648", "/findings/0",
    "/quarantine/99999999999999999999", "/quarantine/0",
])
def test_an_absurd_id_in_a_page_address_is_a_404(
        client: TestClient, path: str, caplog: pytest.LogCaptureFixture) -> None:
    _signed_in(client)
    r = client.get(path)
    assert r.status_code == 404
    assert "There is no" in r.text
    _no_traceback(caplog)


def test_a_status_change_on_an_absurd_id_is_a_404(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    _signed_in(client)
    page = client.get("/findings")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = client.post("/findings/99999999999999999999/status",
                    data={"csrf": csrf.group(1), "status": "resolved", "note": "x"})
    assert r.status_code == 404
    _no_traceback(caplog)


@pytest.mark.parametrize(("content", "kind"), [
    (b"csrf=\xff\xfe&status=resolved", "application/x-www-form-urlencoded"),
    (b"x" * 200_000, "application/x-www-form-urlencoded"),
    (b'{"status": "resolved"}', "application/json"),
])
def test_a_malformed_form_is_a_400(client: TestClient, content: bytes, kind: str,
                                   caplog: pytest.LogCaptureFixture) -> None:
    _signed_in(client)
    r = client.post("/findings/1/status", content=content, headers={"Content-Type": kind})
    assert r.status_code in (400, 403, 413)
    _no_traceback(caplog)
