"""The reading marks of the QuickBooks connector: boundary ids, times as instants, quoting."""

from __future__ import annotations

from plugins.quickbooks.reading import Mark, quoted


def _obj(oid: str, when: str, token: str = "0") -> dict[str, object]:
    return {"Id": oid, "SyncToken": token, "MetaData": {"LastUpdatedTime": when}}


def test_the_mark_moves_to_the_newest_time_and_remembers_the_ids_there() -> None:
    mark = Mark()
    mark.advance([_obj("1", "2026-11-20T10:00:00-08:00"), _obj("2", "2026-11-20T11:00:00-08:00"),
                  _obj("3", "2026-11-20T11:00:00-08:00")])
    assert (mark.since, mark.seen) == ("2026-11-20T11:00:00-08:00", ["2:0", "3:0"])
    # the same instant written with another offset is the same time
    assert not mark.is_new(_obj("2", "2026-11-20T19:00:00+00:00"))
    assert mark.is_new(_obj("4", "2026-11-20T11:00:00-08:00"))       # another id at that time
    assert mark.is_new(_obj("2", "2026-11-20T11:00:01-08:00"))       # changed again later
    assert mark.is_new(_obj("2", "2026-11-20T11:00:00-08:00", "1"))  # ... or within the second
    mark.advance([_obj("2", "2026-11-20T12:00:00-08:00")])
    assert (mark.since, mark.seen) == ("2026-11-20T12:00:00-08:00", ["2:0"])
    assert Mark.from_dict(mark.as_dict()) == mark


def test_older_objects_do_not_move_the_mark_back() -> None:
    mark = Mark("2026-11-20T12:00:00-08:00", ["9:3"])
    mark.advance([_obj("1", "2026-11-19T00:00:00-08:00"), {"Id": "2"}])
    assert (mark.since, mark.seen) == ("2026-11-20T12:00:00-08:00", ["9:3"])


def test_query_literals_escape_the_backslash_before_the_quote() -> None:
    assert quoted("Amy's") == "'Amy\\'s'"
    assert quoted("ends with \\") == "'ends with \\\\'"
    assert quoted("\\'") == "'\\\\\\''"


def test_a_complete_answer_settles_a_quiet_mark_a_day_before_its_time() -> None:
    mark = Mark("2026-10-01T12:00:00-07:00", ["9:3"], 4)
    mark.settle("2026-11-20T10:15:30.858-08:00")
    assert (mark.since, mark.seen, mark.position) == ("2026-11-19T10:15:30-08:00", [], 1)
    recent = Mark("2026-11-20T10:00:00-08:00", ["9:3"])
    for answered in ("2026-11-20T10:15:30-08:00", None, "not a time", "2026-12-01T00:00:00"):
        recent.settle(answered)  # within the day, absent, unreadable, without an offset
    assert (recent.since, recent.seen) == ("2026-11-20T10:00:00-08:00", ["9:3"])
