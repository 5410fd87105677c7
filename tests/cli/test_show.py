"""``billing-hub show``: a record traced to its source, through the CLI, on both stores.

Also: a CSV file whose rows moved (a row inserted above them) is re-synced with the
rows' new line numbers, and no new state is kept for them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from hub.cli import exits
from tests.reports.test_as_of import BODY, HEAD, OCTOBER, PAYMENTS_HEAD
from tests.support.hub import cli, write_config

SHIFTED = HEAD + "INV-1999,Hooli,2026-09-20,2026-10-20,USD,75.00,75.00,open\n" + \
    "\n".join(OCTOBER.splitlines()[1:][::-1]) + "\n"  # a row above, and the rows reversed


@pytest.fixture
def books(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "books.csv").write_text(OCTOBER, encoding="utf-8")
    (tmp_path / "payments.csv").write_text(
        PAYMENTS_HEAD + "P-9,2026-10-20,55.00,USD,Nobody Ltd,\n"
        "P-10,2026-10-21,55.00,USD,Nobody Ltd,\n", encoding="utf-8")
    return write_config(tmp_path, store_url, BODY)


def _shown(capsys: pytest.CaptureFixture[str], name: str) -> dict[str, Any]:
    code, out, err = cli(capsys, "show", name, "-f", "json")
    assert code == exits.OK, err
    found: dict[str, Any] = json.loads(out)
    return found


def _sync_at(capsys: pytest.CaptureFixture[str], moment: datetime) -> str:
    with time_machine.travel(moment, tick=False):
        code, out, err = cli(capsys, "sync", "--no-progress")
        assert code == exits.OK, err
        assert cli(capsys, "reconcile")[0] == exits.OK
    return out


def test_show_traces_a_record_to_its_file_line_history_links_and_findings(
        books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sync_at(capsys, datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    globex = _shown(capsys, "books:invoice:INV-2002")
    assert globex["location"] == "books.csv:3"
    assert globex["fields"]["total"] == "6506.12" and globex["fields"]["customer_name"] == "Globex"
    assert globex["raw"]["Customer"] == "Globex" and globex["raw"]["Open"] == "6506.12"
    assert [s["change"] for s in globex["history"]] == ["created"]
    assert globex["history"][0]["learned_at"].startswith("2026-11-02T15:00")
    assert _shown(capsys, "books:INV-2002") == globex  # the short form: only one answers

    # rows moved: the new lines are kept, no state is added
    (tmp_path / "books.csv").write_text(SHIFTED, encoding="utf-8")
    _sync_at(capsys, datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    moved = _shown(capsys, "books:invoice:INV-2002")
    assert moved["location"] == "books.csv:4"
    assert _shown(capsys, "books:invoice:INV-2003")["location"] == "books.csv:3"
    assert moved["history"] == globex["history"]
    assert moved["updated_at"] == globex["updated_at"]

    # paid: a second state, with what changed; removed from the file: deleted
    paid = SHIFTED.replace("6506.12,6506.12,open", "6506.12,0.00,paid")
    paid = "\n".join(ln for ln in paid.splitlines() if not ln.startswith("INV-1999")) + "\n"
    (tmp_path / "books.csv").write_text(paid, encoding="utf-8")
    _sync_at(capsys, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    states = _shown(capsys, "books:invoice:INV-2002")["history"]
    assert [s["change"] for s in states] == ["created", "changed"]
    assert states[1]["status"] == "paid" and states[1]["open_amount"] == "0.00"
    assert {"balance", "status"} <= set(states[1]["changed_fields"])
    gone = _shown(capsys, "books:invoice:INV-1999")
    assert [s["change"] for s in gone["history"]] == ["created", "deleted"]
    assert gone["deleted_at"] is not None
    (tmp_path / "books.csv").write_text(paid + SHIFTED.splitlines()[1] + "\n", encoding="utf-8")
    _sync_at(capsys, datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    back = _shown(capsys, "books:invoice:INV-1999")
    assert [s["change"] for s in back["history"]] == ["created", "deleted", "restored"]
    assert back["deleted_at"] is None

    # links a person made, and the findings that name the record
    assert cli(capsys, "link", "bank:P-9", "bank:P-10")[0] == exits.OK
    payment = _shown(capsys, "bank:payment:P-9")
    assert [(lk["name"], lk["method"], lk["state"]) for lk in payment["links"]] == [
        ("bank:payment:P-10", "manual", "linked")]
    assert "unapplied_payment" in {f["kind"] for f in payment["findings"]}
    assert cli(capsys, "unlink", "bank:P-10", "bank:P-9")[0] == exits.OK
    assert [(lk["name"], lk["state"]) for lk in _shown(capsys, "bank:P-9")["links"]] == [
        ("bank:payment:P-10", "rejected")]
    assert cli(capsys, "link", "bank:P-9", "bank:P-10")[0] == exits.OK

    code, text, _ = cli(capsys, "show", "bank:P-9")
    assert code == exits.OK
    for part in ("bank:payment:P-9", "location: payments.csv:2", "Nobody Ltd",
                 "bank:payment:P-10", "created", "unapplied_payment"):
        assert part in text


def test_show_says_what_it_cannot_find(books: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _sync_at(capsys, datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    code, _, err = cli(capsys, "show", "books:invoice:NOPE")
    assert code == exits.FAILED and "no record" in err and "SOURCE:ENTITY:ID" in err
    code, _, err = cli(capsys, "show", "nonsense")
    assert code == exits.FAILED and "cannot tell which record" in err


def test_the_history_keeps_the_source_s_own_time_when_a_column_gives_it(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    body = BODY.replace('status = "Status"\n', 'status = "Status"\nsource_modified = "Modified"\n',
                        1)
    write_config(tmp_path, store_url, body)
    (tmp_path / "payments.csv").write_text(PAYMENTS_HEAD, encoding="utf-8")
    head = HEAD.strip() + ",Modified\n"
    row = "INV-2001,Acme Corp,2026-10-05,2026-11-04,USD,400.00,{open},{status},{at}\n"
    (tmp_path / "books.csv").write_text(
        head + row.format(open="400.00", status="open", at="2026-10-05T08:00:00Z"),
        encoding="utf-8")
    _sync_at(capsys, datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    (tmp_path / "books.csv").write_text(
        head + row.format(open="0.00", status="paid", at="2026-11-18T16:30:00Z"),
        encoding="utf-8")
    _sync_at(capsys, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    states = _shown(capsys, "books:invoice:INV-2001")["history"]
    assert [(s["change"], s["source_time"], s["learned_at"]) for s in states] == [
        ("created", "2026-10-05T08:00:00+00:00", "2026-11-02T15:00:00+00:00"),
        ("changed", "2026-11-18T16:30:00+00:00", "2026-11-20T09:00:00+00:00")]


@pytest.mark.usefixtures("wide_console")
def test_findings_show_gives_the_findings_own_history_and_as_of_a_day(
        books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sync_at(capsys, datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    named = _shown(capsys, "bank:payment:P-9")["findings"]
    fid = str(next(f["id"] for f in named if f["kind"] == "unapplied_payment"))
    with time_machine.travel(datetime(2026, 11, 5, 10, 0, tzinfo=UTC), tick=False):
        assert cli(capsys, "findings", "ack", fid, "--note", "asked the bank")[0] == exits.OK
    (tmp_path / "payments.csv").write_text(
        PAYMENTS_HEAD + "P-9,2026-10-20,65.00,USD,Nobody Ltd,\n"
        "P-10,2026-10-21,55.00,USD,Nobody Ltd,\n", encoding="utf-8")
    _sync_at(capsys, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))

    code, out, err = cli(capsys, "findings", "show", fid)
    assert code == exits.OK, err
    history = out[out.index("history"):]
    rows = [ln for ln in history.splitlines() if ln.startswith("│ 2026-11-")]
    assert len(rows) == 3, history
    assert "found" in rows[0] and "open" in rows[0] and "55.00" in rows[0]
    assert "status" in rows[1] and "acknowledged" in rows[1] and "(note: asked the bank)" in history
    assert "says" in rows[2] and "65.00" in rows[2] and "money_at_stake_minor" in rows[2]

    code, out, err = cli(capsys, "findings", "show", fid, "--as-of", "2026-11-03")
    assert code == exits.OK, err
    then = out[out.index("history"):]
    assert "open" in out.splitlines()[0] and "acknowledged" not in out
    assert len([ln for ln in then.splitlines() if ln.startswith("│ 2026-11-")]) == 1
    assert "55.00" in out.splitlines()[0] and "65.00" not in then  # the records: as now
    code, _, err = cli(capsys, "findings", "show", fid, "--as-of", "2026-11-01")
    assert code != exits.OK and "first found after 2026-11-01" in err
