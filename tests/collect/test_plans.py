"""Payment plans and promises to pay, end to end through the CLI (both stores): a plan
split exactly, one finding per missed instalment, reminders held while a plan is on
track and counted from a missed instalment's date, a completed plan, aging by the plan
or by the due date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.models import Customer, Invoice
from hub.store.schema import audit_log, findings, payment_plans, promises, reminders
from tests.collect.test_holds import CONFIG, put
from tests.support.clock import zone_at_midday
from tests.support.hub import cli, write_config
from tests.support.mail import SmtpCapture

TODAY = datetime.now().astimezone().date()
"""The reconciler judges plans on the local day, as a coordinator's run would."""


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def invoice(number: str, due: int, total: str, *, paid: str = "0",
            customer: str = "C1", name: str = "Acme Corp") -> Invoice:
    status = "paid" if paid == total else "partially_paid" if paid != "0" else "open"
    return Invoice(source="books", external_id=f"books-{number}", number=number,
                   customer_ref=customer, customer_name=name,
                   issue_date=TODAY + timedelta(days=due - 30),
                   due_date=TODAY + timedelta(days=due), currency="USD", total=Decimal(total),
                   amount_paid=Decimal(paid), status=status)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X", "imap-Secret-4711")


@pytest.fixture(autouse=True)
def _wide(wide_console: None) -> None:
    """Tables are read whole."""


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
        invoice("INV-2001", -60, "900.00"),
        invoice("INV-2002", -45, "100.00"),
        invoice("INV-2003", -40, "500.00", customer="C2", name="Globex"))
    return engine


def config(tmp_path: Path, store_url: str, port: int = 1, extra: str = "") -> Path:
    body = (CONFIG.replace("SMTP_PORT", str(port)).replace("ZONE", zone_at_midday())
            .replace("EXTRA", extra))
    return write_config(tmp_path, store_url, body)


def run(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> str:
    code, out, err = cli(capsys, "--config", str(path), *args)
    # collect says NEEDS_PERSON when a stage made a task (INV-2002, 45 days: call)
    assert code == exits.OK or (args[0] == "collect" and code == exits.NEEDS_PERSON), (out, err)
    return " ".join(out.split())


def plan_findings(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(findings).where(findings.c.kind == "plan_instalment_missed")
            .order_by(findings.c.id))]


def test_a_plan_splits_the_open_balance_exactly_and_refuses_a_wrong_total(
        books: Engine, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, extra="plan_grace_days = 5\nplan_broken_after = 3")
    # INV-2001 and INV-2002 are Acme's two open invoices: USD 1,000.00
    said = run(capsys, path, "plans", "add", "books:customer:C1", "--instalments", "3",
               "--every", "30d", "--first", day(10))
    assert "Payment plan 1 agreed by" in said
    assert (f"USD 1,000.00 for INV-2001, INV-2002 in 3 instalment(s), USD 333.33 by {day(10)}, "
            f"USD 333.33 by {day(40)}, USD 333.34 by {day(70)}") in said
    shown = run(capsys, path, "plans", "show", "1")
    assert "payment plan 1: on_track" in shown and "USD 333.34" in shown
    assert "missed after 5 day(s), broken after 3 missed" in shown  # [collections] terms

    # explicit instalments must total the open balance exactly
    code, out, err = cli(capsys, "--config", str(path), "plans", "add",
                         "books:invoice:books-INV-2003", "--instalment", f"{day(5)}=250.00",
                         "--instalment", f"{day(35)}=249.99")
    assert code != exits.OK
    assert "the instalments total USD 499.99, not the open balance USD 500.00" in \
        " ".join((out + err).split())
    # an invoice already under a plan is refused too
    code, out, err = cli(capsys, "--config", str(path), "plans", "add",
                         "books:invoice:books-INV-2001", "--instalment", f"{day(5)}=900.00")
    assert code != exits.OK and "already in payment plan 1" in " ".join((out + err).split())
    with books.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(payment_plans)).scalar() == 1

    said = run(capsys, path, "plans", "add", "books:invoice:books-INV-2003",
               "--instalment", f"{day(35)}=249.99", "--instalment", f"{day(5)}=250.01")
    assert f"USD 250.01 by {day(5)}, USD 249.99 by {day(35)}" in said
    listed = run(capsys, path, "plans", "list")
    assert listed.count("on_track") == 2

    cancelled = run(capsys, path, "plans", "cancel", "2", "--reason", "customer paid in full")
    assert "Payment plan 2 cancelled by" in cancelled
    with books.connect() as conn:
        actions = [(a, who) for a, who in conn.execute(
            sa.select(audit_log.c.action, audit_log.c.actor))]
    assert [a for a, _ in actions].count("plan.agreed") == 2
    assert [a for a, who in actions if a == "plan.cancelled" and who]
    listed = run(capsys, path, "plans", "list")
    assert "INV-2001" in listed and "INV-2003" not in listed
    assert "cancelled" in run(capsys, path, "plans", "list", "--all")


def test_one_missed_instalment_is_exactly_one_finding_until_it_is_paid(
        books: Engine, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url)
    run(capsys, path, "plans", "add", "books:invoice:books-INV-2001", "--instalments", "3",
        "--every", "30d", "--first", day(-20))   # 300 by -20 (missed), +10, +40
    said = run(capsys, path, "reconcile")
    assert "1 new" in said
    found = plan_findings(books)
    assert len(found) == 1
    assert found[0]["money_at_stake_minor"] == 30000
    assert f"Instalment 1 of payment plan 1 (INV-2001), USD 300.00 due {day(-20)}" in \
        found[0]["explanation"]
    assert (f"late: USD 0.00 of USD 900.00 paid; missed #1 (USD 300.00 due {day(-20)}); "
            f"next USD 300.00 by {day(10)}") in run(capsys, path, "plans", "list")

    again = run(capsys, path, "reconcile")  # nothing changed: nothing new, nothing changed
    assert "0 new, 0 reopened, 0 changed" in again
    assert [f["id"] for f in plan_findings(books)] == [found[0]["id"]]

    # the customer pays the first instalment: the finding is resolved, the plan on track
    put(books, invoice("INV-2001", -60, "900.00", paid="300.00"))
    run(capsys, path, "reconcile")
    resolved = plan_findings(books)
    assert len(resolved) == 1 and resolved[0]["status"] == "resolved"
    assert "on_track" in run(capsys, path, "plans", "list")


def test_two_missed_instalments_break_the_plan_and_the_report_says_so(
        books: Engine, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url)
    run(capsys, path, "plans", "add", "books:invoice:books-INV-2003",
        "--instalment", f"{day(-40)}=200.00", "--instalment", f"{day(-10)}=200.00",
        "--instalment", f"{day(20)}=100.00")
    run(capsys, path, "reconcile")
    assert len(plan_findings(books)) == 2
    assert "broken" in run(capsys, path, "plans", "list")
    code, out, err = cli(capsys, "--config", str(path), "report", "-f", "json")
    assert code == exits.OK, err
    doc = orjson.loads(out)
    assert [(p["id"], p["state"]) for p in doc["payment_plans"]] == [(1, "broken")]
    assert {f["kind"] for f in doc["findings"]} >= {"plan_instalment_missed"}


def test_a_completed_plan_shows_in_the_customers_history(
        books: Engine, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url)
    run(capsys, path, "plans", "add", "books:invoice:books-INV-2002", "--instalments", "2",
        "--every", "2w", "--first", day(-30))
    put(books, invoice("INV-2002", -45, "100.00", paid="100.00"))
    assert "completed" in run(capsys, path, "plans", "list")
    run(capsys, path, "reconcile")
    assert plan_findings(books) == []   # paid: nothing was missed
    shown = run(capsys, path, "customer", "show", "books:customer:C1")
    assert ("payment plan 1 for INV-2002: completed: USD 100.00 of USD 100.00 paid") in shown
    assert "payment plan 1 agreed by" in shown   # the history entry


def test_an_on_track_plan_holds_reminders_and_a_missed_one_counts_from_its_date(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)
    # Acme's INV-2001 (60 days overdue) is on track; Globex's INV-2003 (40 days overdue)
    # missed its first instalment 10 days ago
    run(capsys, path, "plans", "add", "books:invoice:books-INV-2001", "--instalments", "3",
        "--first", day(10))
    run(capsys, path, "plans", "add", "books:invoice:books-INV-2003",
        "--instalment", f"{day(-10)}=250.00", "--instalment", f"{day(20)}=250.00")
    run(capsys, path, "collect", "--today", TODAY.isoformat())
    with books.connect() as conn:
        rows = {r.invoice_number: r for r in conn.execute(sa.select(reminders))}
    assert rows["INV-2001"].status == "held"
    assert rows["INV-2001"].hold_rule == "payment_plan"
    assert "payment plan 1 on track" in rows["INV-2001"].last_error
    sent = {e.rcpt_tos[0]: message_from_bytes(e.content)["Subject"] for e in smtp.messages}
    assert "ap@acme.example" not in sent   # INV-2002, 45 days overdue, is a call task
    assert rows["INV-2002"].status == "task"
    # 40 days after the invoice's due date would be the firm stage; 10 days after the missed
    # instalment is the friendly one
    assert sent["pay@globex.example"] == "Friendly reminder: invoice INV-2003 is overdue"
    assert rows["INV-2003"].stage_days == 7
    assert "payment_plan" in run(capsys, path, "reminders", "list", "--held")


def test_a_promise_recorded_by_a_coordinator_holds_reminders(
        books: Engine, smtp: SmtpCapture, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url, smtp.port)
    said = run(capsys, path, "promise", "add", "books:invoice:books-INV-2003", "--by", day(5),
               "--amount", "500.00")
    assert f"recorded a promise to pay USD 500.00 for INV-2003 by {day(5)}" in said
    code, _out, err = cli(capsys, "--config", str(path), "promise", "add",
                          "books:invoice:books-INV-2003", "--by", day(5), "--amount", "5.001")
    assert code != exits.OK and "refused" in err
    with books.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(promises)).scalar() == 1
    run(capsys, path, "collect", "--today", TODAY.isoformat())
    assert "pay@globex.example" not in [e.rcpt_tos[0] for e in smtp.messages]
    with books.connect() as conn:
        row = conn.execute(sa.select(reminders).where(
            reminders.c.invoice_number == "INV-2003")).one()
    assert (row.status, row.hold_rule) == ("held", "promise_to_pay")
    shown = run(capsys, path, "customer", "show", "books:customer:C2")
    assert f"promise to pay USD 500.00 by {day(5)}: INV-2003" in shown


def aging(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    code, out, err = cli(capsys, "--config", str(path), "metrics", "-f", "json",
                         "--until", TODAY.isoformat())
    assert code == exits.OK, err
    doc: dict[str, Any] = orjson.loads(out)
    return doc


def test_aging_counts_planned_amounts_by_the_plan_or_by_the_due_date(
        books: Engine, store_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, store_url)
    run(capsys, path, "plans", "add", "books:invoice:books-INV-2001",
        "--instalment", f"{day(-5)}=300.00", "--instalment", f"{day(25)}=600.00")
    by_plan = aging(capsys, path)
    assert by_plan["aging_by"] == "plan"
    usd = by_plan["by_currency"]["USD"]["aging"]
    # INV-2001: 300.00 by the missed instalment (5 days past), 600.00 not yet due;
    # INV-2002 (45 days) and INV-2003 (40 days) by their due dates
    assert usd == {"current": "600.00", "1-30": "300.00", "31-60": "600.00", "61-90": "0.00",
                   "90+": "0.00"}
    table = run(capsys, path, "metrics", "--until", TODAY.isoformat())
    assert "by the plan's instalment dates ([reconcile] aging_by = \"plan\")" in table

    path = config(tmp_path, store_url, extra='\n[reconcile]\naging_by = "due_date"\n')
    by_due = aging(capsys, path)
    assert by_due["aging_by"] == "due_date"
    assert by_due["by_currency"]["USD"]["aging"] == {
        "current": "0.00", "1-30": "0.00", "31-60": "1500.00", "61-90": "0.00", "90+": "0.00"}
    assert by_due["by_currency"]["USD"]["dso_days"] == by_plan["by_currency"]["USD"]["dso_days"]
    assert "their own due date ([reconcile] aging_by = \"due_date\")" in run(
        capsys, path, "metrics", "--until", TODAY.isoformat())
