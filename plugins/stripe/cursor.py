"""The Stripe connector's cursor: a full read in progress, or the events read since.

``{"mode": "full", "anchor": ..., "seen": [...], "slices": [[gte, lt, after, done], ...]}``
while a full read runs (:mod:`plugins.stripe.slices`): ``anchor`` and ``seen``
are where the events will begin once it is done. ``{"mode": "events", "since":
..., "seen": [...]}`` after it (:mod:`plugins.stripe.events`).
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from hub import Cursor
from plugins.stripe.slices import Slice, SliceRow, decode, encode


def _absent(value: Any) -> bool:
    return value is None


class StripeCursor(Cursor):
    """Where the pull of one Stripe list got to (see the module's docstring)."""

    mode: Literal["events", "full"]
    since: int | None = Field(default=None, exclude_if=_absent)
    """``events``: the creation second of the newest event taken in."""
    anchor: int | None = Field(default=None, exclude_if=_absent)
    """``full``: the second the events after the full read start from."""
    seen: list[str] = Field(default_factory=list)
    """The ids of the events of that second already taken in."""
    slices: list[SliceRow] | None = Field(default=None, exclude_if=_absent)
    """``full``: every slice of the read, as far as the pages stored go."""

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.mode == "events" and self.since is None:
            raise ValueError("an events cursor needs `since`")
        if self.mode == "full" and (self.anchor is None or self.slices is None):
            raise ValueError("a full-read cursor needs `anchor` and `slices`")
        return self

    @classmethod
    def events(cls, since: int, seen: list[str]) -> StripeCursor:
        return cls(mode="events", since=since, seen=seen)

    @classmethod
    def full(cls, anchor: int, seen: list[str], slices: list[Slice]) -> StripeCursor:
        return cls(mode="full", anchor=anchor, seen=seen, slices=encode(slices))

    def read_slices(self) -> list[Slice]:
        """The slices of a full read, to resume it."""
        return decode(self.slices or [])
