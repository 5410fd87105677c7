"""The QuickBooks connector's cursor: a reading mark, and whether CDC takes over from it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub import Cursor
from plugins.quickbooks.reading import Mark


class QuickBooksCursor(Cursor):
    """A :class:`~plugins.quickbooks.reading.Mark` and the mode of the next read:
    ``full`` while a full read is under way (it resumes from the mark),
    ``changes`` after it (change data capture from the mark on)."""

    since: str | None = None
    seen: list[str] = Field(default_factory=list)
    position: int = 1
    mode: Literal["changes", "full"]

    @classmethod
    def at(cls, mark: Mark, mode: Literal["changes", "full"]) -> QuickBooksCursor:
        return cls(since=mark.since, seen=list(mark.seen), position=mark.position, mode=mode)

    def mark(self) -> Mark:
        return Mark(self.since, list(self.seen), self.position)
