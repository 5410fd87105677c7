"""The four connectors' typed cursors read the cursors stores already hold, and write
them again byte for byte, so no sync starts over after an upgrade."""

from __future__ import annotations

import logging

import pytest

from hub import Cursor, Page
from plugins.csv.cursor import CsvCursor
from plugins.email.cursor import FolderCursor
from plugins.quickbooks.cursor import QuickBooksCursor
from plugins.stripe.cursor import StripeCursor

STORED: list[tuple[type[Cursor], str]] = [
    (CsvCursor, '{"files": {"exports/Kontoausz\\u00fcge-*.csv": {"done": true, "fp": "9f2c", '
                '"rows": 120}, "invoices.csv": {"done": false, "fp": "a1b2", "rows": 3}}}'),
    (FolderCursor, '{"uidvalidity":1700000000,"uid":42}'),
    (StripeCursor, '{"mode": "events", "since": 1767225600, "seen": ["evt_1", "evt_2"]}'),
    (StripeCursor, '{"mode": "full", "anchor": 1767225600, "seen": [], "slices": '
                   '[[1767000000, null, "in_9", false], [null, 1767000000, null, true]]}'),
    (QuickBooksCursor, '{"since": "2026-01-05T10:00:00-08:00", "seen": ["12:3"], '
                       '"position": 1, "mode": "changes"}'),
    (QuickBooksCursor, '{"since": null, "seen": [], "position": 4, "mode": "full"}'),
]
"""Cursors as the connectors wrote them before they had models (json.dumps, orjson)."""


@pytest.mark.parametrize(("model", "text"), STORED)
def test_a_stored_cursor_reads_and_is_written_again_unchanged(model: type[Cursor],
                                                              text: str) -> None:
    cursor = model.load(text)
    assert cursor is not None
    assert cursor.dump() == text
    assert Page([], cursor=cursor).cursor == text


@pytest.mark.parametrize("model", [CsvCursor, FolderCursor, StripeCursor, QuickBooksCursor])
@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"mode": "elsewhere"}'])
def test_an_unreadable_cursor_is_logged_and_means_reading_everything(
        model: type[Cursor], text: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert model.load(text) is None
    assert "is not one this connector wrote" in caplog.text
    assert model.load(None) is None and model.load("") is None


def test_a_page_keeps_the_cursor_as_it_was_when_the_page_was_made() -> None:
    cursor = FolderCursor(uidvalidity=7, uid=1)
    page = Page([], cursor=cursor)
    cursor.uid = 2
    assert page.cursor == '{"uidvalidity":7,"uid":1}'
    assert Page([], cursor="plain text").cursor == "plain text"
