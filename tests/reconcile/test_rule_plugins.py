"""A third party's reconciler rules: the example of docs/connectors.md ("Adding a
reconciler rule"), installed as a plugin through an entry point, adds a finding kind and
a match rule, and both show up after ``reconcile``: in the stored findings, ``findings
list --kind``, the report and the web page. A rule that fails fails the run whole."""

from __future__ import annotations

import importlib
import json
import re
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub import Finding, FindingRuleSpec, Severity, hookimpl
from hub.cli import exits
from hub.config import load_config
from hub.errors import PluginError
from hub.plugins import ENTRY_POINT_GROUP, load_plugins
from hub.reconcile import lifecycle
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import Hub
from hub.store import open_store
from hub.store.schema import findings
from hub.web.app import create_app
from tests.support.hub import cli, write_config
from tests.support.paths import ROOT

with warnings.catch_warnings():  # as tests/web does: starlette prefers httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

MODULE = "bh_rules_example"
BODY = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "books.csv"
entity = "invoice"
date_format = "iso"
columns = { number = "No", customer_name = "Customer", customer_ref = "Ref", issue_date = "Date", due_date = "Due", currency = "Cur", total = "Total", balance = "Open", status = "Status" }

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "payments.csv"
entity = "payment"
date_format = "iso"
id_columns = ["Id"]
columns = { reference = "Id", received_date = "Date", amount = "Amount", currency = "Cur", payer_name = "Payer", memo = "Memo" }

[web]
coordinator_password = "env:BH_TEST_WEB_PASSWORD"
session_secret = "env:BH_TEST_SESSION_SECRET"
"""  # noqa: E501
BOOKS = """\
No,Customer,Ref,Date,Due,Cur,Total,Open,Status
INV-2001,Acme Corp,C-1001,2026-03-01,2026-03-31,USD,400.00,400.00,open
INV-2002,Acme Corp,C-1001,2026-03-05,{due},USD,250.00,250.00,open
"""
PAYMENTS = """\
Id,Date,Amount,Cur,Payer,Memo
P1,2026-03-20,400.00,USD,Wile E. Coyote Holdings,C-1001 march
"""
PASSWORD = "correct horse battery staple"


def _documented_example() -> str:
    """The Python block of the guide's "Adding a reconciler rule" section."""
    guide = (ROOT / "docs" / "connectors.md").read_text("utf-8")
    section = guide.split("### Adding a reconciler rule", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the guide's rule section has no example"
    return found.group(1)


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The guide's example as an installed distribution with a ``billing_hub`` entry point."""
    site = tmp_path / "site"
    dist = site / "bh_rules_example-0.2.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bh-rules-example\n"
                                   "Version: 0.2\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nduedates = {MODULE}\n")
    (site / f"{MODULE}.py").write_text(_documented_example(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    yield
    sys.modules.pop(MODULE, None)


@pytest.fixture
def company(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BH_TEST_WEB_PASSWORD", PASSWORD)
    monkeypatch.setenv("BH_TEST_SESSION_SECRET", "a-session-secret-only-for-tests")
    (tmp_path / "books.csv").write_text(BOOKS.format(due=""), encoding="utf-8")
    (tmp_path / "payments.csv").write_text(PAYMENTS, encoding="utf-8")
    return write_config(tmp_path, store_url, BODY)


def _stored(config: Path) -> dict[str, lifecycle.StoredFinding]:
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            return {f.key: f for f in lifecycle.select(conn, statuses=lifecycle.STATUSES)}
    finally:
        engine.dispose()


def _web_findings(config: Path, query: str) -> tuple[int, str]:
    hub_config = load_config(config)
    engine = open_store(hub_config.store_url())
    try:
        app = create_app(Hub(hub_config, load_plugins(), engine), process_webhooks=False)
        with TestClient(app, follow_redirects=False) as client:
            form = client.get("/signin").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf, form
            client.post("/signin", data={"csrf": csrf.group(1), "name": "Ana Lopez",
                                         "password": PASSWORD, "next": "/"})
            page = client.get(f"/findings?{query}")
            return page.status_code, page.text
    finally:
        engine.dispose()


def test_a_plugin_adds_a_finding_kind_and_a_match_rule(
        installed: None, company: Path, capsys: pytest.CaptureFixture[str],
        wide_console: None) -> None:
    code, out, _ = cli(capsys, "plugins")
    assert code == exits.OK
    assert "reconciler (built-in)" in out and "duedates (bh-rules-example)" in out
    assert "open_without_due_date" in out and "no_due_date (low)" in out
    assert "memo_reference" in out and "missing_in_other_system (medium)" in out
    assert "customer_number_in_memo" in out and "broken" not in out
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    code, out, _ = cli(capsys, "reconcile")
    assert code == exits.OK and "no_due_date" in out

    found = _stored(company)
    due = found["no_due_date:books:INV-2002"]
    assert (due.kind, due.severity, due.status) == ("no_due_date", "low", "open")
    assert due.explanation == "INV-2002 has no due date: reminders and aging skip it."
    assert due.money_at_stake_minor == 25000
    # the hub dates a plugin's finding by its records too: no due date, so the issue date
    assert due.details["money_date"] == {"on": "2026-03-05", "what": "issued", "open": True}
    paid = found["unapplied_payment:bank:P1"]
    top = paid.details["suggestions"][0]
    assert top["rule"] == "customer_number" and top["numbers"] == ["INV-2001"]
    assert paid.explanation.endswith(  # a plugin's suggestion without a kind gets one
        "Most likely: INV-2001 (full, 80%): the memo starts with the customer number.")
    assert paid.details["decision"]["kind"] == "full"

    code, out, _ = cli(capsys, "findings", "list", "--kind", "no_due_date")
    assert code == exits.OK and "INV-2002 has no due date" in out and "unapplied" not in out
    code, out, _ = cli(capsys, "report", "--format", "json")
    assert code == exits.OK
    report = json.loads(out)
    assert "no_due_date" in report["at_stake_by_kind"]
    assert [f["key"] for f in report["findings"] if f["kind"] == "no_due_date"] == [
        "no_due_date:books:INV-2002"]
    status, page = _web_findings(company, "kind=no_due_date")
    assert status == 200 and "INV-2002 has no due date" in page
    assert '<option value="no_due_date" selected>no due date</option>' in page

    code, out, _ = cli(capsys, "reconcile")  # the same problem is the same finding
    assert ": 0 new," in out
    (company.parent / "books.csv").write_text(BOOKS.format(due="2026-04-04"), encoding="utf-8")
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    code, out, _ = cli(capsys, "reconcile")
    assert "1 resolved" in out
    assert _stored(company)["no_due_date:books:INV-2002"].status == lifecycle.RESOLVED


def test_without_the_plugin_its_kind_is_unknown(company: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    code, _, err = cli(capsys, "findings", "list", "--kind", "no_due_date")
    assert code == exits.USAGE and "unknown value 'no_due_date'" in err
    assert _web_findings(company, "kind=no_due_date")[0] == 400


def _rule_plugin(find: Any) -> types.SimpleNamespace:
    def hub_finding_rules() -> Any:
        yield FindingRuleSpec("faulty", {"faulty_kind": Severity.HIGH}, find)
    return types.SimpleNamespace(hub_finding_rules=hookimpl(hub_finding_rules))


def _wrong_kind(context: Any) -> Any:
    yield Finding("amount_mismatch:x", "amount_mismatch", [], "not mine to report")


def _raises(context: Any) -> Any:
    raise ZeroDivisionError("a bug in the rule")
    yield  # a generator, as rules are


@pytest.mark.parametrize(("find", "error", "says"), [
    (_wrong_kind, PluginError, "finding rule 'faulty' reported kind 'amount_mismatch', "
                               "which it did not register (faulty_kind)"),
    (_raises, ZeroDivisionError, "(in finding rule 'faulty')"),
])
def test_a_failing_rule_fails_the_run_and_changes_no_finding(
        company: Path, capsys: pytest.CaptureFixture[str], find: Any, error: type[Exception],
        says: str) -> None:
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    assert cli(capsys, "reconcile")[0] == exits.OK
    before = _stored(company)
    registry = load_plugins([("faulty", _rule_plugin(find))])
    assert not [p for p in registry.plugins if p.broken]
    config = load_config(company)
    engine: Engine = open_store(config.store_url())
    try:
        with pytest.raises(error) as exc:
            reconcile(engine, ReconcileSettings.of(config), RuleSet.of(registry))
        assert says in str(exc.value) + " ".join(getattr(exc.value, "__notes__", []))
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(findings)).scalar_one() \
                == len(before)
    finally:
        engine.dispose()
    assert _stored(company) == before
