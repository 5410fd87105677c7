"""A finding's age runs from the money's date (a payment's received date, an invoice's
due date), not from the day the reconciler first saw it; every view says so."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from hub.cli import exits
from tests.support.company import BODY, write_company
from tests.support.hub import cli, write_config

pytestmark = pytest.mark.usefixtures("wide_console")

UNAPPLIED = "unapplied_payment:bank:P6"        # 77.00 received 2026-03-25
MISMATCH = "status_mismatch:books:INV-1001|shop:1001"  # open in books, due 2026-03-31


@pytest.fixture
def company(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_company(tmp_path)
    return write_config(tmp_path, store_url, BODY)


def test_ages_count_from_the_money_not_from_the_first_reconcile(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    assert cli(capsys, "reconcile")[0] == exits.OK

    # the report ages each finding to the end of its period
    code, out, _ = cli(capsys, "report", "-f", "json", "--since", "2026-03-01",
                       "--until", "2026-04-30")
    assert code == exits.OK
    found = {f["key"]: f for f in json.loads(out)["findings"]}
    paid = found[UNAPPLIED]
    assert (paid["money_date"], paid["age_days"], paid["age"]) == (
        "2026-03-25", 36, "received 2026-03-25, unapplied 36 days")
    mismatch = found[MISMATCH]
    assert (mismatch["money_date"], mismatch["age_days"], mismatch["age"]) == (
        "2026-03-31", 30, "overdue 30 days since due 2026-03-31")

    assert cli(capsys, "report", "-f", "csv", "-o", "r.csv", "--until", "2026-04-30")[0] == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(
        (company.parent / "r.csv").read_text("utf-8-sig")))}
    row = rows[str(paid["id"])]
    assert (row["money_date"], row["age_days"], row["age"]) == (
        "2026-03-25", "36", "received 2026-03-25, unapplied 36 days")

    code, out, _ = cli(capsys, "report", "--until", "2026-04-30")
    assert "received 2026-03-25, unapplied 36 days" in out

    assert cli(capsys, "report", "-f", "html", "-o", "r.html", "--until", "2026-04-30")[0] == 0
    assert "overdue 30 days since due 2026-03-31" in (company.parent / "r.html").read_text()

    # the findings list ages them to today, from the same dates
    today = datetime.now().astimezone().date()
    days = (today - date(2026, 3, 25)).days
    code, out, _ = cli(capsys, "findings", "list")
    assert f"received 2026-03-25, unapplied {days} days" in out
    assert f"overdue {(today - date(2026, 3, 31)).days} days since due 2026-03-31" in out
    # --older-than counts from the money too: P6 is exactly that old, INV-1001 younger
    code, out, _ = cli(capsys, "findings", "list", "--older-than", str(days))
    assert "Nobody Ltd" in out and "status_mismatch" not in out
    code, out, _ = cli(capsys, "findings", "show", str(paid["id"]))
    assert f"age: received 2026-03-25, unapplied {days} days" in out
