"""Reading a list that an API hands out a page at a time.

Each request says where the previous page ended: the last object's id
(Stripe's ``starting_after``), a position (a query's ``STARTPOSITION``), a
time mark. :func:`paginate` is the loop; the connector writes ``fetch``, the
one request, which answers an :class:`ApiPage`: the items, the position after
them (what the next request starts from, and what a cursor saves) and
whether more follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class ApiPage(Generic[T, P]):
    """One page of an API's list: its ``items``, the position ``after`` them, and
    whether ``more`` pages follow."""

    items: list[T]
    after: P
    more: bool


def paginate(fetch: Callable[[P], ApiPage[T, P]], start: P) -> Iterator[ApiPage[T, P]]:
    """Every page of a list: ``fetch(start)``, then ``fetch(page.after)`` while ``page.more``.

    Pages are fetched as they are consumed, so a pull can store each one (and
    its position) before the next request goes out.
    """
    position = start
    while True:
        page = fetch(position)
        yield page
        if not page.more:
            return
        position = page.after
