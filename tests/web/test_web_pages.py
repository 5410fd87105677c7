"""The coordinator's page over HTTP (Starlette's TestClient), on both stores: sign-in,
CSRF, the findings' lifecycle with the signed-in actor, filters and paging, escaping,
the quarantine, and the page turned off."""

from __future__ import annotations

import asyncio
import io
import re
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.exceptions import StarletteDeprecationWarning

from hub.cli import exits
from hub.config import HubConfig, load_config
from hub.errors import ConfigError
from hub.plugins import load_plugins
from hub.reconcile import lifecycle
from hub.reconcile.kinds import Finding, Kind, Severity
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.reports import report
from hub.runtime import Hub
from hub.store.clock import utcnow
from hub.store.schema import audit_log, findings
from hub.web.app import create_app
from hub.web.auth import COOKIE
from hub.web.html import when
from hub.web.settings import WebSettings
from tests.support.company import BODY, PAYMENTS, sync_all, write_company
from tests.support.hub import cli, hub, opened

with warnings.catch_warnings():  # it prefers httpx2, which we do not install; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery staple"
WEB = """
[web]
coordinator_password = "env:BH_TEST_WEB_PASSWORD"
session_secret = "env:BH_TEST_SESSION_SECRET"
"""
EVIL = "<script>alert('pwned')</script>"
# one payment from a payer named like a script, one row with a bad amount (quarantined)
EXTRA_PAYMENTS = (f"P8,2026-03-27,12.34,USD,{EVIL},,\n"
                  "P9,2026-03-28,twelve,USD,<img src=x onerror=alert(2)>,,\n")


@pytest.fixture(autouse=True)
def secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BH_TEST_WEB_PASSWORD", PASSWORD)
    monkeypatch.setenv("BH_TEST_SESSION_SECRET", "a-session-secret-only-for-tests")


@pytest.fixture
def company(tmp_path: Path, store_url: str) -> Iterator[tuple[HubConfig, Engine]]:
    """The reconciler's sample company, synced and reconciled, with the page on."""
    write_company(tmp_path)
    (tmp_path / "payments.csv").write_text(PAYMENTS + EXTRA_PAYMENTS, encoding="utf-8")
    with hub(tmp_path, store_url, BODY + WEB) as (sync, engine, config):
        sync_all(sync)
        reconcile(engine, ReconcileSettings.of(config))
        yield config, engine


def _client(config: HubConfig, engine: Engine) -> TestClient:
    app = create_app(Hub(config, load_plugins(), engine), process_webhooks=False)
    app.state.gate.failed_delay = 0.2
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def client(company: tuple[HubConfig, Engine]) -> Iterator[TestClient]:
    with _client(*company) as c:
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, name: str = "Ana Lopez", password: str = PASSWORD,
            next_path: str = "/") -> tuple[int, str]:
    """Open the sign-in form and post it: (status, Location or the page)."""
    form = client.get("/signin")
    assert form.status_code == 200
    r = client.post("/signin", data={"csrf": _csrf(form.text), "name": name,
                                     "password": password, "next": next_path})
    return r.status_code, r.headers.get("location", r.text)


def _finding(engine: Engine, key: str) -> lifecycle.StoredFinding:
    with engine.connect() as conn:
        fid = conn.execute(sa.select(findings.c.id).where(findings.c.key == key)).scalar_one()
        return lifecycle.get(conn, fid)


def _audit(engine: Engine, fid: int) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor, audit_log.c.details)
                            .where(audit_log.c.subject == f"finding:{fid}")
                            .order_by(audit_log.c.id))
        return [(a, b, c) for a, b, c in rows]


AMOUNT = "amount_mismatch:books:INV-1002|shop:1002"


def test_every_page_needs_a_sign_in_and_a_wrong_password_is_refused(
        client: TestClient, company: tuple[HubConfig, Engine]) -> None:
    fid = _finding(company[1], AMOUNT).id
    for path in ("/", "/findings?kind=amount_mismatch", f"/findings/{fid}", "/quarantine",
                 "/quarantine/1"):
        r = client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/signin?next=")
    # a post without a session changes nothing
    r = client.post(f"/findings/{fid}/status", data={"status": "resolved", "csrf": "x"})
    assert r.status_code == 403
    assert _finding(company[1], AMOUNT).status == "open"

    started = time.monotonic()
    status, page = sign_in(client, password="not the password at all")
    assert status == 401 and "Wrong name or password" in page
    assert time.monotonic() - started >= 0.2  # a failed sign-in is answered slowly
    assert PASSWORD not in page and "not the password at all" not in page
    assert client.get("/").status_code == 303  # still signed out

    status, location = sign_in(client, next_path=f"/findings/{fid}")
    assert (status, location) == (303, f"/findings/{fid}")
    cookie = next(c for c in client.cookies.jar if c.name == COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure
    page = client.get(f"/findings/{fid}")
    assert page.status_code == 200 and "Signed in as <strong>Ana Lopez</strong>" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_guesses_sent_at_once_are_tried_one_at_a_time(
        company: tuple[HubConfig, Engine]) -> None:
    app = create_app(Hub(company[0], load_plugins(), company[1]), process_webhooks=False)
    gate = app.state.gate
    gate.failed_delay, gate.queue_seconds = 0.3, 1.85

    async def attack() -> list[tuple[int, float]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://hub") as web:
            token = _csrf((await web.get("/signin")).text)
            started = time.monotonic()

            async def attempt(password: str) -> tuple[int, float]:
                r = await web.post("/signin", data={"csrf": token, "name": "Eve",
                                                    "password": password})
                return r.status_code, time.monotonic() - started

            tries = [asyncio.create_task(attempt(f"guess number {i}")) for i in range(6)]
            for password in (PASSWORD, "one guess too many"):
                await asyncio.sleep(0.05)
                tries.append(asyncio.create_task(attempt(password)))
            return await asyncio.gather(*tries)

    *wrong, right, refused = asyncio.run(attack())
    assert [status for status, _ in wrong] == [401] * 6
    assert sorted(t for _, t in wrong)[-1] >= 6 * 0.3  # one after the other, not at once
    # the right password queued behind six wrong ones: its answer did not come sooner
    assert right[0] == 303 and right[1] >= 6 * 0.3
    assert refused[0] == 429  # more than queue_seconds of tries waiting: not even tried


def test_a_forged_or_foreign_cookie_and_an_outside_next_are_refused(
        client: TestClient) -> None:
    client.cookies.set(COOKIE, "eyJ1IjoiRXZlIiwiYyI6IngiLCJlIjo5OTk5OTk5OTk5fQ.bm9wZQ")
    assert client.get("/").status_code == 303
    client.cookies.clear()
    status, location = sign_in(client, next_path="//evil.example/")
    assert (status, location) == (303, "/")
    # the sign-in form itself is protected: no token, no sign-in
    client.cookies.clear()
    r = client.post("/signin", data={"name": "Eve", "password": PASSWORD})
    assert r.status_code == 403 and client.get("/").status_code == 303


def test_acknowledge_resolve_ignore_and_reopen_record_the_signed_in_person(
        client: TestClient, company: tuple[HubConfig, Engine]) -> None:
    engine = company[1]
    fid = _finding(engine, AMOUNT).id
    sign_in(client, name="Ana Lopez")
    page = client.get(f"/findings/{fid}").text
    token = _csrf(page)

    def post(status: str, note: str = "") -> tuple[int, str]:
        r = client.post(f"/findings/{fid}/status",
                        data={"csrf": token, "status": status, "note": note})
        return r.status_code, r.headers.get("location", r.text)

    assert post("acknowledged", "asked the shop") == (303, f"/findings/{fid}?done=acknowledged")
    f = _finding(engine, AMOUNT)
    assert (f.status, f.actor, f.note) == ("acknowledged", "Ana Lopez", "asked the shop")
    assert "now acknowledged" in client.get(f"/findings/{fid}?done=acknowledged").text

    status, page = post("ignored", "   ")
    assert status == 400
    assert "a note is required to ignore it" in page
    assert _finding(engine, AMOUNT).status == "acknowledged"

    assert post("ignored", "two real orders")[0] == 303
    assert (_finding(engine, AMOUNT).status, _finding(engine, AMOUNT).note) == (
        "ignored", "two real orders")
    assert post("open")[0] == 303
    assert _finding(engine, AMOUNT).status == "open"
    assert post("resolved", "credit note sent")[0] == 303
    f = _finding(engine, AMOUNT)
    assert f.status == "resolved" and f.resolved_at is not None

    entries = _audit(engine, fid)
    assert [(a, who) for a, who, _ in entries] == [
        ("finding.acknowledged", "Ana Lopez"), ("finding.ignored", "Ana Lopez"),
        ("finding.open", "Ana Lopez"), ("finding.resolved", "Ana Lopez")]
    assert "two real orders" in entries[1][2]
    history = client.get(f"/findings/{fid}").text
    assert history.count("Ana Lopez") >= 5 and "credit note sent" in history

    assert post("deleted")[0] == 400  # not an action
    assert len(_audit(engine, fid)) == 4


def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
        client: TestClient, company: tuple[HubConfig, Engine]) -> None:
    engine = company[1]
    fid = _finding(engine, AMOUNT).id
    sign_in(client)
    token = _csrf(client.get(f"/findings/{fid}").text)
    for data in ({"status": "resolved"}, {"status": "resolved", "csrf": ""},
                 {"status": "resolved", "csrf": token[:-1] + ("A" if token[-1] != "A" else "B")}):
        r = client.post(f"/findings/{fid}/status", data=data)
        assert r.status_code == 403 and "security token" in r.text
    assert _finding(engine, AMOUNT).status == "open"
    assert _audit(engine, fid) == []
    # a JSON body is not a form
    r = client.post(f"/findings/{fid}/status", json={"status": "resolved", "csrf": token})
    assert r.status_code == 400 and _finding(engine, AMOUNT).status == "open"
    # signing out ends it: the old token does not work without the session
    assert client.post("/signout", data={"csrf": token}).status_code == 303
    assert client.get("/").status_code == 303
    r = client.post(f"/findings/{fid}/status", data={"status": "resolved", "csrf": token})
    assert r.status_code == 403 and _finding(engine, AMOUNT).status == "open"


def test_the_finding_page_shows_records_suggestions_and_history(
        client: TestClient, company: tuple[HubConfig, Engine]) -> None:
    sign_in(client)
    amount = client.get(f"/findings/{_finding(company[1], AMOUNT).id}").text
    assert "books:invoice:INV-1002" in amount and "shop:invoice:1002" in amount
    assert re.search(r"total<span class=\"differ\"> \(differs\)</span></th>"
                     r"<td><span class=\"differ\">500.00</span></td>"
                     r"<td><span class=\"differ\">550.00</span>", amount)
    with company[1].connect() as conn:
        (wayne,) = [f for f in lifecycle.select(conn, kinds=["unapplied_payment"])
                    if f.customer == "Wayne Enterprises"]
    page = client.get(f"/findings/{wayne.id}").text
    assert "Suggested matches" in page
    assert "INV-1008, INV-1009, INV-1010" in page and "$950.00" in page
    assert re.search(r"<td class=\"num\">\d+%</td>", page)
    assert client.get("/findings/999999").status_code == 404


def test_the_list_filters_and_sorts_like_the_cli(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/findings").text
    ids = re.findall(r'<a href="/findings/(\d+)">', page)
    assert ids and "<td>status mismatch</td>" in page.split(f'/findings/{ids[0]}"', 1)[1][:200]
    only = client.get("/findings?kind=duplicate_payment").text
    assert "Nobody Ltd" in only and "<td>status mismatch</td>" not in only
    # ages run from the money: 77.00 was first received on 25 March, and again on the 26th
    days = (utcnow().date() - date(2026, 3, 25)).days
    assert f"<td>received 2026-03-25, {days} days ago</td>" in only
    assert "Nobody Ltd" not in client.get("/findings?customer=acme").text
    assert "Acme Corp" in client.get("/findings?customer=ACME").text
    for wildcard in ("%25", "_", "A%25p"):  # a % or _ in the filter is a character, not "any"
        assert "No findings match" in client.get(f"/findings?customer={wildcard}").text
    assert client.get("/findings?kind=nonsense").status_code == 400
    assert client.get("/findings?status=gone").status_code == 400
    assert "No findings match" in client.get("/findings?status=ignored").text


def test_the_list_is_paged(engine: Engine, store_url: str) -> None:
    now = utcnow()
    with engine.begin() as conn:
        lifecycle.merge(conn, [
            Finding(f"due:{i}", Kind.DUE_DATE_MISMATCH, [], f"invoice {i} is late",
                    currency="USD", money_at_stake=Decimal(i) + Decimal("0.01"),
                    customer=f"Customer {i:03}", severity=Severity.LOW)
            for i in range(1, 121)], now)
    config = HubConfig.model_validate({"store": {"url": store_url}, "web": {
        "coordinator_password": "env:BH_TEST_WEB_PASSWORD"}})
    with _client(config, engine) as client:
        sign_in(client)
        first = client.get("/findings").text
        assert "1-50 of 120" in first and "$120.01" in first and "$70.01" not in first
        assert 'rel="next"' in first and 'rel="prev"' not in first
        last = client.get("/findings?page=3").text
        assert "101-120 of 120" in last and "$20.01" in last and "$1.01" in last
        assert 'rel="next"' not in last
        assert "$21.01" not in last and "$21.01" in client.get("/findings?page=2").text
        kept = client.get("/findings?page=2&kind=due_date_mismatch&customer=customer").text
        assert "page=3" in kept and "kind=due_date_mismatch" in kept and "customer=customer" in kept
        assert "101-120 of 120" in client.get("/findings?page=99").text
        for odd in ("0", "-2", "x", "\u00b2", "\u0663", "9" * 5000):  # superscript 2, Arabic 3
            r = client.get("/findings", params={"page": odd})
            assert r.status_code == 200 and "1-50 of 120" in r.text, odd


def test_times_are_shown_in_utc_whatever_zone_the_database_answers_in(
        engine: Engine, store_url: str) -> None:
    assert when(datetime(2026, 3, 20, 22, 30, tzinfo=ZoneInfo("America/New_York"))) == (
        "2026-03-21 02:30 UTC")
    seen = datetime(2026, 3, 21, 2, 30, tzinfo=UTC)  # 22:30 the day before in New York
    with engine.begin() as conn:
        lifecycle.merge(conn, [Finding("due:1", Kind.DUE_DATE_MISMATCH, [], "invoice 1 is late",
                                       currency="USD", money_at_stake=Decimal("5.00"),
                                       severity=Severity.LOW)], seen)
        fid = conn.execute(sa.select(findings.c.id)).scalar_one()
    # a PostgreSQL server whose TimeZone is not UTC answers in its own zone
    local_url = (store_url.replace("options=", "options=" + quote("-ctimezone=America/New_York "),
                                   1) if store_url.startswith("postgresql") else store_url)
    local = sa.create_engine(local_url)
    config = HubConfig.model_validate({"store": {"url": store_url}, "web": {
        "coordinator_password": "env:BH_TEST_WEB_PASSWORD"}})
    try:
        with _client(config, local) as client:
            sign_in(client)
            page = client.get(f"/findings/{fid}").text
        with local.connect() as conn:
            found = report.build(conn, start=date(2026, 3, 1), end=date(2026, 3, 31),
                                 settings=ReconcileSettings(number_prefixes=[]))
    finally:
        local.dispose()
    assert "2026-03-21 02:30 UTC" in page and "22:30" not in page
    out = io.StringIO()
    report.write_report_csv(found, out)
    assert ",2026-03-21,2026-03-21," in out.getvalue()  # first and last seen, UTC days


def test_values_from_the_sources_are_escaped(client: TestClient) -> None:
    sign_in(client)
    escaped = "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;"
    listing = client.get("/findings").text
    assert EVIL not in listing and escaped in listing
    fid = re.search(r'href="/findings/(\d+)">#\d+</a></th><td>unapplied payment</td><td>'
                    r'<span class="high">high</span></td><td>open</td><td>&lt;script', listing)
    assert fid
    page = client.get(f"/findings/{fid.group(1)}").text
    assert EVIL not in page and escaped in page
    quarantined = client.get("/quarantine").text
    assert "P9" in quarantined and "1 row(s)" in quarantined
    assert "`billing-hub quarantine retry --all`" in quarantined  # a command that runs
    qid = re.search(r'href="/quarantine/(\d+)"', quarantined)
    assert qid
    raw = client.get(f"/quarantine/{qid.group(1)}").text
    assert f"`billing-hub quarantine retry {qid.group(1)}`" in raw
    assert "<img src=x" not in raw and "&lt;img src=x onerror=alert(2)&gt;" in raw
    assert "twelve" in raw
    assert client.get("/quarantine/999999").status_code == 404


def test_the_overview_counts_findings_and_money_per_currency(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/").text
    assert 'href="/findings?kind=status_mismatch">status mismatch</a>' in page
    assert "$1,250.00" in page
    # each invoice once, as the ledger (books) has it; the shop's 1099 has no other copy
    assert "<li>12 open invoice(s): EUR 80.00 + JPY 5,000 + KWD 10.125 + USD 4,241.00</li>" \
        in page
    assert re.search(r"duplicate payment</a></th><td class=\"num\">1</td>", page)
    assert 'href="/quarantine">1 row(s)</a>' in page
    assert "succeeded" in page  # the sync runs
    assert "Latest runs" in page and "books" in page


def test_without_a_password_the_page_is_off_and_webhooks_still_answer(
        engine: Engine, store_url: str) -> None:
    config = HubConfig.model_validate({"store": {"url": store_url}})
    app = create_app(Hub(config, load_plugins(), engine), process_webhooks=False)
    with TestClient(app, follow_redirects=False) as client:
        for path in ("/", "/signin", "/findings", "/quarantine"):
            assert client.get(path).status_code == 404
        assert client.post("/signin", data={"name": "a", "password": "b"}).status_code == 404
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.post("/webhooks/stripe", content=b"{}").status_code == 404


def test_the_session_cookie_can_be_secure_and_a_new_password_ends_sign_ins(
        company: tuple[HubConfig, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    config, engine = company
    secure = config.with_table("web", {**config.tables.get("web", {}), "secure_cookies": True})
    with _client(secure, engine) as client:
        r = client.get("/signin")
        assert "secure" in r.headers["set-cookie"].lower()
        assert "samesite=lax" in r.headers["set-cookie"].lower()
    with _client(config, engine) as client:
        sign_in(client)
        kept = client.cookies.get(COOKIE)
        assert client.get("/").status_code == 200
    monkeypatch.setenv("BH_TEST_WEB_PASSWORD", "a brand new password")
    changed = HubConfig.model_validate({"store": {"url": config.store.url}, "web": {
        "coordinator_password": "env:BH_TEST_WEB_PASSWORD",
        "session_secret": "env:BH_TEST_SESSION_SECRET"}})
    with _client(changed, engine) as client:
        client.cookies.set(COOKIE, kept or "")
        assert client.get("/").status_code == 303


def test_the_init_template_turns_the_page_on_once_uncommented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init")[0] == exits.OK
    text = (tmp_path / "billing-hub.toml").read_text()
    assert WebSettings.of(load_config(tmp_path / "billing-hub.toml")).coordinator_password is None
    (tmp_path / "with-page.toml").write_text(opened(text, "# coordinator_password"))
    monkeypatch.setenv("BILLING_HUB_WEB_PASSWORD", PASSWORD)
    monkeypatch.setenv("BILLING_HUB_SESSION_SECRET", "a-session-secret-from-the-template")
    web = WebSettings.of(load_config(tmp_path / "with-page.toml"))
    assert web.coordinator_password is not None and web.session_secret is not None
    assert (web.secure_cookies, web.session_hours) == (True, 12)
    monkeypatch.setenv("BILLING_HUB_WEB_PASSWORD", "too short")
    with pytest.raises(ConfigError) as exc:
        WebSettings.of(load_config(tmp_path / "with-page.toml"))
    assert exc.value.path == "web.coordinator_password" and "12 characters" in str(exc.value)
    assert "too short" not in str(exc.value)
