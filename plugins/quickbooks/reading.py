"""Reading a company's objects: everything (keyset pages by last update) or what changed (CDC).

A full read asks for objects by ``MetaData.LastUpdatedTime``, oldest first,
a page at a time, each page starting at the last page's newest time (keyset
paging). Unlike counting positions, this neither skips nor repeats an object
when others are added, changed or deleted during the read: a changed object
moves to the end and is read again as the change it is. Objects that share
the boundary time are told apart by the versions (id and ``SyncToken``)
already read at that time, so an object changed again within the same second
is still read; when a whole page shares one time, the next page steps on by
position within it.

A later read asks change data capture (``/cdc``) for what changed since the
newest time read, deletions included. CDC reaches back 30 days and answers at
most 1000 objects per entity: an older cursor means a full read, and a full
answer means the changes are read again by query (deletions past the first
1000 of such a burst are not reported). After a complete answer (or the last
page of a full read) the mark moves up to a day before QuickBooks' time of
answering even when nothing changed, so an entity left alone for weeks keeps
being read through CDC, deletions included, instead of falling out of its 30 days.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hub import ApiPage, paginate
from plugins.quickbooks.api import QuickBooksApi
from plugins.quickbooks.mapping import MappingError, modified

Obj = dict[str, Any]
CDC_MOST = 1000
SETTLED = timedelta(days=1)
"""How long before QuickBooks' time of answering a change is surely in the answer."""
ALL_OF: dict[str, tuple[str, ...]] = {"Customer": ("Active IN (true, false)",)}
"""Conditions that make a query return every object: QuickBooks leaves inactive
customers out of a query unless it names ``Active``."""


def quoted(text: str) -> str:
    """``text`` as a query literal: backslash escaped first, then the quote."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def version(obj: Obj) -> str:
    """``"<Id>:<SyncToken>"``: one state of one object."""
    return f"{obj.get('Id')}:{obj.get('SyncToken', '')}"


def _time_of(obj: Obj) -> datetime | None:
    try:
        return modified(obj)
    except MappingError:
        return None


@dataclass(slots=True)
class Mark:
    """Where reading stands: the newest update time read and the versions read at that time.

    A version is ``"<Id>:<SyncToken>"``: QuickBooks' times have whole seconds,
    and the SyncToken tells two changes of one object within a second apart.

    ``position`` > 1 only while a full read steps through objects sharing one time.
    """

    since: str | None = None
    seen: list[str] = field(default_factory=list)
    position: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since, "seen": self.seen, "position": self.position}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mark:
        return cls(data.get("since"), list(data.get("seen") or []), int(data.get("position") or 1))

    def instant(self) -> datetime | None:
        return None if self.since is None else datetime.fromisoformat(self.since)

    def is_new(self, obj: Obj) -> bool:
        """Not a version already read at the boundary time."""
        if self.since is None or version(obj) not in self.seen:
            return True
        return _time_of(obj) != self.instant()

    def settle(self, answered: Any) -> None:
        """Move up to :data:`SETTLED` before ``answered``, the ``time`` of a complete answer."""
        try:
            now = datetime.fromisoformat(str(answered))
        except ValueError:
            return
        current = self.instant()
        settled = (now - SETTLED).replace(microsecond=0)
        if now.tzinfo is not None and (current is None or settled > current):
            self.since, self.seen, self.position = settled.isoformat(), [], 1

    def advance(self, objects: Sequence[Obj]) -> None:
        """Move past ``objects`` (read in update order): the newest time and its ids."""
        for obj in objects:
            when = _time_of(obj)
            text = (obj.get("MetaData") or {}).get("LastUpdatedTime")
            if when is None or not text:
                continue
            current = self.instant()
            if current is None or when > current:
                self.since, self.seen = str(text), [version(obj)]
            elif when == current and version(obj) not in self.seen:
                self.seen.append(version(obj))


def read_all(api: QuickBooksApi, name: str, mark: Mark, page_size: int
             ) -> Iterator[ApiPage[Obj, Mark]]:
    """Pages of ``name``, oldest update first: the new objects, the mark after them and
    whether more follow (the mark of the last page settled, see :meth:`Mark.settle`)."""
    return paginate(lambda at: _page_after(api, name, at, page_size), mark)


def _page_after(api: QuickBooksApi, name: str, mark: Mark, page_size: int
                ) -> ApiPage[Obj, Mark]:
    """One query page of ``name`` from ``mark`` on."""
    conditions = list(ALL_OF.get(name, ()))
    if mark.since is not None:
        conditions.append(f"MetaData.LastUpdatedTime >= {quoted(mark.since)}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    answer = api.query(f"SELECT * FROM {name}{where} ORDERBY MetaData.LastUpdatedTime "
                       f"STARTPOSITION {mark.position} MAXRESULTS {page_size}")
    rows: list[Obj] = list((answer.get("QueryResponse") or {}).get(name) or [])
    fresh = [r for r in rows if mark.is_new(r)]
    after = Mark(mark.since, list(mark.seen), 1)
    after.advance(rows)
    last = len(rows) < page_size
    if not last and after.since == mark.since:
        after.position = mark.position + len(rows)  # a whole page at one time: step on
    if last:
        after.settle(answer.get("time"))
    return ApiPage(fresh, after, more=not last)


@dataclass(slots=True)
class Changes:
    """One CDC answer for one entity: what changed, what was deleted, the mark after it."""

    changed: list[Obj]
    deleted: list[str]
    mark: Mark
    complete: bool


def read_changes(api: QuickBooksApi, name: str, mark: Mark) -> Changes:
    """What changed in ``name`` since ``mark``, from one CDC request."""
    assert mark.since is not None
    answer = api.changes([name], mark.since)
    objects: list[Obj] = []
    for block in answer.get("CDCResponse") or []:
        for response in block.get("QueryResponse") or []:
            objects.extend(response.get(name) or [])
    deleted = [str(o.get("Id")) for o in objects if o.get("status") == "Deleted"]
    changed = [o for o in objects if o.get("status") != "Deleted" and mark.is_new(o)]
    after = Mark(mark.since, list(mark.seen))
    after.advance(objects)
    complete = len(objects) < CDC_MOST
    if complete:
        after.settle(answer.get("time"))
    return Changes(changed, deleted, after, complete)
