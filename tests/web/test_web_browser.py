"""The coordinator's page in a real browser (Playwright driving Debian's Chromium) against
`billing-hub serve` run as a user runs it: sign in, open a finding, ignore it with a
note, and see it leave the list."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.reconcile import lifecycle
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.store.schema import audit_log, findings
from tests.support.company import BODY, sync_all, write_company
from tests.support.hub import CLI, free_port, hub, wait_until_serving

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a browser test password"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="no /usr/bin/chromium (apt-get install chromium; .ci/run does)"),
]
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (the dev extra has it)")

WEB = """
[web]
process_webhooks = false
coordinator_password = "env:BH_BROWSER_WEB_PASSWORD"
session_secret = "env:BH_BROWSER_SESSION_SECRET"
"""
AMOUNT = "amount_mismatch:books:INV-1002|shop:1002"


@pytest.fixture
def served(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[str, str]]:
    """`billing-hub serve` over the sample company, reconciled: (base URL, store URL)."""
    write_company(tmp_path)
    monkeypatch.setenv("BH_BROWSER_WEB_PASSWORD", PASSWORD)
    monkeypatch.setenv("BH_BROWSER_SESSION_SECRET", "a-session-secret-for-the-browser-test")
    with hub(tmp_path, store_url, BODY + WEB) as (sync, engine, config):
        sync_all(sync)
        reconcile(engine, ReconcileSettings.of(config))
    env = dict(os.environ)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "--config", str(tmp_path / "billing-hub.toml"), "serve",
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, base, timeout=30)
        yield base, store_url
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert f"the coordinator's page: {base}/" in out
    assert PASSWORD not in out + err


def test_sign_in_ignore_a_finding_with_a_note_and_it_leaves_the_list(
        served: tuple[str, str]) -> None:
    base, store_url = served
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            fid = conn.execute(sa.select(findings.c.id).where(findings.c.key == AMOUNT)
                               ).scalar_one()
    finally:
        engine.dispose()
    expect = sync_api.expect
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{base}/findings")
            expect(page).to_have_url(re.compile(r"/signin\?next=%2Ffindings$"))
            page.get_by_label("Your name").fill("Ana Lopez")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{base}/findings")
            expect(page.get_by_text("Signed in as")).to_contain_text("Ana Lopez")

            page.get_by_role("link", name=f"#{fid}", exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"#{fid} amount mismatch")
            expect(page.get_by_role("table").first).to_contain_text("550.00")
            page.get_by_label("Why it needs no action (required)").fill("two real orders")
            page.get_by_role("button", name="Ignore").click()
            expect(page.get_by_role("status")).to_contain_text("now ignored")
            expect(page.get_by_role("main")).to_contain_text("two real orders (Ana Lopez)")

            page.get_by_role("link", name="Findings", exact=True).click()
            expect(page.get_by_text(re.compile(r"^1-\d+ of \d+"))).to_be_visible()
            expect(page.get_by_role("link", name=f"#{fid}", exact=True)).to_have_count(0)
            page.get_by_label("ignored", exact=True).check()
            page.get_by_role("button", name="Show").click()
            expect(page.get_by_role("link", name=f"#{fid}", exact=True)).to_have_count(1)
        finally:
            browser.close()
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            f = lifecycle.get(conn, fid)
            actions = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor).where(
                audit_log.c.subject == f"finding:{fid}")).all()
    finally:
        engine.dispose()
    assert (f.status, f.note, f.actor) == ("ignored", "two real orders", "Ana Lopez")
    assert [tuple(a) for a in actions] == [("finding.ignored", "Ana Lopez")]
