"""Bounded sizes: a long value (a memo of many kilobytes) reaches findings, reports and the
coordinator's page as an excerpt with its length, never whole; reconciling again changes
nothing."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from hub.store import open_store
from hub.store.findings import MAX_DETAILS
from hub.store.schema import findings
from tests.support.company import BODY, PAYMENTS, write_company
from tests.support.hub import cli, write_config

MEMO = "M" * 12_000  # reconciling is slow on much longer memos (reported in issue 21)
WEB = """
[web]
coordinator_password = "env:BH_TEST_WEB_PASSWORD"
session_secret = "env:BH_TEST_SESSION_SECRET"
"""


def _rows(store_url: str) -> list[dict[str, object]]:
    engine = open_store(store_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(findings).order_by(findings.c.id))]
    finally:
        engine.dispose()


def test_a_long_memo_is_never_copied_whole(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_company(tmp_path)
    (tmp_path / "payments.csv").write_text(
        PAYMENTS.replace("P6,2026-03-25,77.00,USD,Nobody Ltd,,",
                         f"P6,2026-03-25,77.00,USD,Nobody Ltd,{MEMO} INV-1005,"),
        encoding="utf-8")
    config = str(write_config(tmp_path, store_url, BODY + WEB))
    assert cli(capsys, "-c", config, "sync")[0] == 0
    assert cli(capsys, "-c", config, "reconcile")[0] in (0, 1)
    first = _rows(store_url)
    assert first
    whole = re.compile("M{1000}")
    for row in first:
        assert len(str(row["details"])) <= MAX_DETAILS + 1000
        assert not whole.search(str(row["details"])) and not whole.search(
            str(row["explanation"]))
    assert any("12,0" in str(row["details"]) for row in first), "the length is said"
    for fmt in ("json", "csv", "html", "table"):
        code, out, _ = cli(capsys, "-c", config, "report", "--format", fmt)
        assert code == 0 and not whole.search(out), fmt
    assert cli(capsys, "-c", config, "reconcile")[0] in (0, 1)
    again = _rows(store_url)
    keep = ("id", "key", "explanation", "details", "status", "first_seen_at")
    assert [{k: r[k] for k in keep} for r in again] == [{k: r[k] for k in keep} for r in first]
    for row in first:
        assert orjson.loads(str(row["details"])) is not None  # still JSON


def test_a_page_shows_an_excerpt_of_a_long_text() -> None:
    from hub.web.html import MAX_TEXT, el

    html = el("p", "x" * 1_000_000)
    assert len(html) < MAX_TEXT + 100 and "1,000,000 characters in all" in html
