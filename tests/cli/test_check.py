"""``billing-hub check`` through the CLI: the real SDKs against the Stripe and QuickBooks
simulators, CSV files on disk, and Dovecot with an SMTP server for e-mail. A failed check
says why and what to do, names no secret, and makes the command exit 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.cli import exits
from plugins.quickbooks.simulator import QboSimulatorServer
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer, seed_company
from tests.support.hub import cli, free_port, write_config
from tests.support.mail import FOLDER, PASSWORD, Dovecot, SmtpCapture, needs_dovecot
from tests.support.qbo import config_body

BAD_STRIPE_KEY = "sk_test_not-a-key-stripe-knows-1234567890"


def _results(text: str) -> dict[str, dict[str, str]]:
    return {row["connector"]: row for row in json.loads(text)}


@pytest.fixture
def stripe_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Simulator, SimulatorServer]]:
    monkeypatch.setenv("GOOD_STRIPE_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("BAD_STRIPE_KEY", BAD_STRIPE_KEY)
    simulator = Simulator(seed=5, api_keys={DEFAULT_API_KEY})
    seed_company(simulator, customers=2, invoices=3)
    with SimulatorServer(simulator) as server:
        yield simulator, server


def test_stripe_a_good_key_passes_and_a_refused_one_fails_without_showing_it(
        stripe_server: tuple[Simulator, SimulatorServer], tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    simulator, server = stripe_server
    monkeypatch.chdir(tmp_path)
    section = """
    [connectors.{name}]
    type = "stripe"
    api_key = "env:{env}"
    api_base = "{url}"
    entities = ["customer", "invoice"]
    max_attempts = 2
    """
    write_config(tmp_path, store_url,
                 section.format(name="good", env="GOOD_STRIPE_KEY", url=server.url)
                 + section.format(name="bad", env="BAD_STRIPE_KEY", url=server.url)
                 + section.format(name="gone", env="GOOD_STRIPE_KEY",
                                  url=f"http://127.0.0.1:{free_port()}"))
    code, out, err = cli(capsys, "check", "--json")
    assert code == exits.FAILED, out + err
    rows = _results(out)
    assert rows["good"]["status"] == "ok"
    assert rows["good"]["detail"] == "the API key may read customer, invoice"
    assert rows["bad"]["status"] == "failed"
    assert "Stripe refused the API key" in rows["bad"]["detail"]
    assert "api_key" in (rows["bad"]["hint"] or "")
    assert rows["gone"]["status"] == "failed"
    assert "did not answer list customers after 2 tries" in rows["gone"]["detail"]
    assert "api_base" in (rows["gone"]["hint"] or "")
    assert BAD_STRIPE_KEY not in out + err and DEFAULT_API_KEY not in out + err
    asked = {k for k, n in simulator.request_counts.items() if n}
    assert asked and all(k.startswith("GET ") for k in asked), asked  # nothing written

    code, out, err = cli(capsys, "check", "good")
    assert code == exits.OK, out + err
    assert "ok" in out and "bad" not in out


def test_quickbooks_signs_in_reads_company_info_and_names_an_expired_token(
        qbo: QboSimulatorServer, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, store_url, config_body(qbo))
    code, out, err = cli(capsys, "check", "--json")
    assert code == exits.OK, out + err
    row = _results(out)["books"]
    assert row["status"] == "ok"
    assert row["detail"].startswith("signed in to ")
    assert "may read" in row["detail"]
    # the refresh token rotated during the check was kept: a second check signs in again
    code, out, err = cli(capsys, "check", "books", "--json")
    assert code == exits.OK, out + err

    # a store that never saw the token and a token QuickBooks does not know
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    write_config(other, f"sqlite:///{other / 'store.db'}", config_body(qbo))
    monkeypatch.setenv("QBO_REFRESH_TOKEN", "expired-refresh-token-000")
    code, out, err = cli(capsys, "check", "--json")
    assert code == exits.FAILED, out + err
    row = _results(out)["books"]
    assert row["status"] == "failed"
    assert "refused the refresh token" in row["detail"]
    assert "connect the company again" in (row["hint"] or "")
    assert "expired-refresh-token-000" not in out + err


def test_csv_a_missing_file_and_a_missing_column_fail_a_good_file_passes(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bank.csv").write_text("Ref,Date,Amount,Cur\nB1,2026-01-05,10.00,EUR\n")
    files = """
    [connectors.{name}]
    type = "csv"
    [[connectors.{name}.files]]
    path = "{path}"
    entity = "bank_transaction"
    date_format = "iso"
    columns = {{ reference = "Ref", booked_date = "Date", amount = "{amount}", currency = "Cur" }}
    """
    write_config(tmp_path, store_url,
                 files.format(name="good", path="bank.csv", amount="Amount")
                 + files.format(name="gone", path="missing.csv", amount="Amount")
                 + files.format(name="renamed", path="bank.csv", amount="Betrag"))
    code, out, err = cli(capsys, "check", "--json")
    assert code == exits.FAILED, out + err
    rows = _results(out)
    assert rows["good"]["status"] == "ok"
    assert rows["good"]["detail"] == "1 file(s) readable, every mapped column present"
    assert rows["gone"]["status"] == "failed"
    assert "missing.csv does not exist" in rows["gone"]["detail"]
    assert "path" in (rows["gone"]["hint"] or "")
    assert rows["renamed"]["status"] == "failed"
    assert "column 'Betrag'" in rows["renamed"]["detail"]

    code, out, err = cli(capsys, "check", "good")
    assert code == exits.OK, out + err

    code, out, err = cli(capsys, "check", "nosuch")
    assert code == exits.USAGE
    assert "no connector named 'nosuch'" in err


@pytest.fixture
def mail_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Dovecot, SmtpCapture]]:
    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-Secret-99")
    imap = Dovecot().start()
    smtp = SmtpCapture(login=("ar@example.com", "smtp-Secret-99")).start()
    try:
        imap.create()
        yield imap, smtp
    finally:
        smtp.stop()
        imap.stop()


MAIL = """
[connectors.{name}]
type = "email"
[connectors.{name}.imap]
host = "127.0.0.1"
port = {imap_port}
tls = "none"
username = "ar@example.com"
password = "env:{imap_env}"
folder = "{folder}"
[connectors.{name}.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
username = "ar@example.com"
password = "env:{smtp_env}"
timeout_seconds = 10
"""


@needs_dovecot
def test_email_signs_in_to_imap_and_smtp_and_names_a_refused_password(
        mail_servers: tuple[Dovecot, SmtpCapture], tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    imap, smtp = mail_servers
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WRONG_PASSWORD", "wrong-Secret-123")
    ports = {"imap_port": imap.port, "smtp_port": smtp.port}
    write_config(tmp_path, store_url,
                 MAIL.format(name="mail", imap_env="MAIL_PASSWORD", smtp_env="SMTP_PASSWORD",
                             folder=FOLDER, **ports)
                 + MAIL.format(name="badimap", imap_env="WRONG_PASSWORD",
                               smtp_env="SMTP_PASSWORD", folder=FOLDER, **ports)
                 + MAIL.format(name="nofolder", imap_env="MAIL_PASSWORD",
                               smtp_env="SMTP_PASSWORD", folder="Nowhere", **ports)
                 + MAIL.format(name="badsmtp", imap_env="MAIL_PASSWORD",
                               smtp_env="WRONG_PASSWORD", folder=FOLDER, **ports))
    code, out, err = cli(capsys, "check", "--json")
    assert code == exits.FAILED, out + err
    rows = _results(out)
    assert rows["mail"]["status"] == "ok", rows["mail"]
    assert "SMTP" in rows["mail"]["detail"] and "login" in rows["mail"]["detail"]
    assert rows["badimap"]["status"] == "failed"
    assert "refused the login" in rows["badimap"]["detail"]
    assert rows["nofolder"]["status"] == "failed"
    assert "cannot open the folder 'Nowhere'" in rows["nofolder"]["detail"]
    assert rows["badsmtp"]["status"] == "failed"
    assert "SMTP server" in rows["badsmtp"]["detail"]
    assert "smtp.password" in (rows["badsmtp"]["hint"] or "")
    for secret in (PASSWORD, "smtp-Secret-99", "wrong-Secret-123"):
        assert secret not in out + err
    assert smtp.messages == []  # nothing was sent

    code, out, err = cli(capsys, "check", "mail")
    assert code == exits.OK, out + err


PLUGIN = '''
from pydantic import BaseModel
from hub import CheckResult, Connector, ConnectorSpec, EntitySupport, hookimpl


class Options(BaseModel):
    ready: bool = True


class Quiet(Connector):
    def entities(self):
        return ["invoice"]

    def pull(self, entity, cursor):
        return iter(())


class Checked(Quiet):
    def check(self):
        if self.context.config.ready:
            return CheckResult.passed("answered")
        return CheckResult.failed("not ready", hint="set ready = true")


@hookimpl
def hub_connectors():
    yield ConnectorSpec(name="quiet", description="no check", config_model=Options,
                        entities=(EntitySupport("invoice"),), factory=Quiet)
    yield ConnectorSpec(name="checked", description="its own check", config_model=Options,
                        entities=(EntitySupport("invoice"),), factory=Checked)
'''


def test_a_third_party_connector_implements_check_or_is_reported_not_checkable(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    dist = site / "bh_acme-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bh-acme\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[billing_hub]\nacme = bh_acme_plugin\n")
    (site / "bh_acme_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, store_url, """
    [connectors.erp]
    type = "quiet"
    [connectors.crm]
    type = "checked"
    [connectors.late]
    type = "checked"
    ready = false
    """)
    code, out, err = cli(capsys, "check", "erp", "crm", "--json")
    assert code == exits.OK, out + err
    rows = _results(out)
    assert rows["erp"]["status"] == "not checkable"
    assert rows["crm"] == {"connector": "crm", "type": "checked", "status": "ok",
                           "detail": "answered", "hint": None}
    code, out, err = cli(capsys, "check", "late")
    assert code == exits.FAILED
    assert "not ready" in out and "set ready = true" in out
