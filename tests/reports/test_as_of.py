"""``--as-of``: the store's history read back, through the CLI, on both stores.

The issue's scenario: ``metrics --since 2026-10-01 --until 2026-10-31`` run on
2 November, then an October invoice is paid on 18 November and the same command
gives another figure; ``--as-of 2026-11-02`` gives the first output byte for byte,
whenever it is run. The clock is moved with time-machine (the hub's own clock
reads the system time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from hub.cli import exits
from hub.config import load_config
from hub.store import open_store
from hub.store.schema import finding_history, record_history
from tests.support.hub import cli, write_config

BODY = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "books.csv"
entity = "invoice"
date_format = "iso"
[connectors.books.files.columns]
number = "No"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "payments.csv"
entity = "payment"
date_format = "iso"
id_columns = ["Id"]
[connectors.bank.files.columns]
reference = "Id"
received_date = "Date"
amount = "Amount"
currency = "Cur"
payer_name = "Payer"
invoice_number = "Applies to"
"""

HEAD = "No,Customer,Date,Due,Cur,Total,Open,Status\n"
OCTOBER = HEAD + """\
INV-2001,Acme Corp,2026-10-05,2026-11-04,USD,400.00,400.00,open
INV-2002,Globex,2026-10-10,2026-11-09,USD,6506.12,6506.12,open
INV-2003,Initech,2026-09-01,2026-10-01,USD,120.00,120.00,open
"""
PAID = OCTOBER.replace("400.00,400.00,open", "400.00,0.00,paid")
PAYMENTS_HEAD = "Id,Date,Amount,Cur,Payer,Applies to\n"
PAYMENT = PAYMENTS_HEAD + "P-77,2026-11-18,400.00,USD,Acme Corp,INV-2001\n"
PERIOD = ("--since", "2026-10-01", "--until", "2026-10-31")


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def _history_rows(config: Path) -> tuple[int, int]:
    engine = open_store(load_config(config).store_url())
    with engine.connect() as conn:
        found = (conn.execute(sa.select(sa.func.count()).select_from(record_history))
                 .scalar_one(),
                 conn.execute(sa.select(sa.func.count()).select_from(finding_history))
                 .scalar_one())
    engine.dispose()
    return int(found[0]), int(found[1])


@pytest.fixture(autouse=True)
def _wide(wide_console: None) -> None:
    """Tables at full width, so that rows can be compared."""


@pytest.fixture
def books(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "books.csv").write_text(OCTOBER, encoding="utf-8")
    (tmp_path / "payments.csv").write_text(PAYMENTS_HEAD, encoding="utf-8")
    return write_config(tmp_path, store_url, BODY)


def test_metrics_as_of_gives_the_earlier_figure_byte_for_byte(
        books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _at(datetime(2026, 11, 2, 15, 0, tzinfo=UTC)):
        assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
        assert cli(capsys, "reconcile")[0] == exits.OK
        code, before, _ = cli(capsys, "metrics", *PERIOD)
        assert code == exits.OK
        before_json = cli(capsys, "metrics", *PERIOD, "--json")[1]
        findings_before = cli(capsys, "findings", "list")[1]
        code, today, note = cli(capsys, "metrics", *PERIOD, "--as-of", "2026-11-02")
        assert code == exits.OK and today == before and "2026-11-02 is not over yet" in note
    assert '"current": "6906.12"' in before_json  # 400.00 + 6,506.12 current at 31 October
    written = _history_rows(books)
    assert written[0] == 3  # one state per invoice

    with _at(datetime(2026, 11, 2, 18, 0, tzinfo=UTC)):  # nothing changed: nothing written
        assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
        assert cli(capsys, "reconcile")[0] == exits.OK
    assert _history_rows(books) == written

    (tmp_path / "books.csv").write_text(PAID, encoding="utf-8")
    (tmp_path / "payments.csv").write_text(PAYMENT, encoding="utf-8")
    with _at(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)):
        assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
        assert cli(capsys, "reconcile")[0] == exits.OK
        after_json = cli(capsys, "metrics", *PERIOD, "--json")[1]
        as_of_json = cli(capsys, "metrics", *PERIOD, "--json", "--as-of", "2026-11-02")[1]
        as_of = cli(capsys, "metrics", *PERIOD, "--as-of", "2026-11-02")[1]
    assert '"current": "6506.12"' in after_json  # the store's today: INV-2001 paid
    assert as_of_json == before_json and as_of == before
    assert _history_rows(books)[0] == 4 + 1  # INV-2001 changed, P-77 created

    with _at(datetime(2027, 3, 1, 9, 0, tzinfo=UTC)):  # months later, the same bytes
        code, later, note = cli(capsys, "metrics", *PERIOD, "--json", "--as-of", "2026-11-02")
        assert later == before_json and "not over" not in note
        assert cli(capsys, "findings", "list", "--as-of", "2026-11-02")[1] == findings_before
        report = cli(capsys, "report", *PERIOD, "-f", "json", "--as-of", "2026-11-02")[1]
    with _at(datetime(2027, 6, 1, 9, 0, tzinfo=UTC)):
        again = cli(capsys, "report", *PERIOD, "-f", "json", "--as-of", "2026-11-02")[1]
        csv_a = cli(capsys, "report", *PERIOD, "-f", "csv", "--as-of", "2026-11-02")[1]
    with _at(datetime(2027, 7, 1, 9, 0, tzinfo=UTC)):
        csv_b = cli(capsys, "report", *PERIOD, "-f", "csv", "--as-of", "2026-11-02")[1]
    assert report == again and csv_a == csv_b
    assert '"generated_at": "2026-11-02T23:59:59.999999+00:00"' in report
    assert '"current": "6906.12"' in report

    # before anything was known: nothing
    nothing = cli(capsys, "metrics", *PERIOD, "--json", "--as-of", "2026-11-01")[1]
    assert '"by_currency": {}' in nothing


def test_findings_as_of_show_the_status_they_had(
        books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "payments.csv").write_text(
        PAYMENTS_HEAD + "P-9,2026-10-20,55.00,USD,Nobody Ltd,\n", encoding="utf-8")
    with _at(datetime(2026, 11, 2, 15, 0, tzinfo=UTC)):
        assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
        assert cli(capsys, "reconcile")[0] == exits.OK
        listed = cli(capsys, "findings", "list", "--kind", "unapplied_payment")[1]
    assert "unapplied_payment" in listed and "open" in listed
    fid = next(ln.split("│")[1].strip() for ln in listed.splitlines()
               if "unapplied_payment" in ln and "│" in ln)
    with _at(datetime(2026, 11, 5, 15, 0, tzinfo=UTC)):
        assert cli(capsys, "findings", "ignore", fid, "--note", "a test deposit")[0] == exits.OK
    with _at(datetime(2026, 11, 9, 15, 0, tzinfo=UTC)):
        now = cli(capsys, "findings", "list", "--kind", "unapplied_payment")[1]
        then = cli(capsys, "findings", "list", "--kind", "unapplied_payment",
                   "--as-of", "2026-11-03")[1]
        ignored_then = cli(capsys, "findings", "list", "--status", "ignored",
                           "--as-of", "2026-11-06")[1]
    assert "No findings match" in now
    # the same row, a day older: received 20 October, unapplied 13 days on 2 November
    assert "unapplied 13 days" in listed
    assert then == listed.replace("unapplied 13 days", "unapplied 14 days")
    assert "ignored" in ignored_then and fid in ignored_then
    assert _history_rows(books)[1] >= 2  # found, then ignored


def test_the_day_ends_in_the_company_time_zone(
        books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = books.read_text(encoding="utf-8") + '\n[reconcile]\ntimezone = "America/New_York"\n'
    books.write_text(text, encoding="utf-8")
    with _at(datetime(2026, 11, 3, 2, 0, tzinfo=UTC)):  # 2 November, 21:00 in New York
        assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    known = cli(capsys, "metrics", *PERIOD, "--json", "--as-of", "2026-11-02")[1]
    assert '"current": "6906.12"' in known
    books.write_text(text.replace("America/New_York", "UTC"), encoding="utf-8")
    assert '"by_currency": {}' in cli(capsys, "metrics", *PERIOD, "--json",
                                      "--as-of", "2026-11-02")[1]
    books.write_text(text.replace("America/New_York", "Mars/Olympus"), encoding="utf-8")
    code, _, err = cli(capsys, "metrics", "--as-of", "2026-11-02")
    assert code != exits.OK and "unknown time zone" in err


def test_the_help_says_period_and_knowledge_date(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (("metrics",), ("report",), ("findings", "list")):
        code, out, _ = cli(capsys, *command, "--help")
        assert code == exits.OK
        flat = " ".join(out.replace("│", " ").split())
        assert "--as-of" in flat and "Knowledge date" in flat
        assert "--since/--until choose the period" in flat
