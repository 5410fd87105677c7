"""A full read of one Stripe list, split by creation time and fetched concurrently.

Stripe lists newest first and pages with ``starting_after``; a list can also
be filtered by ``created`` range. A full read asks for the newest page first;
when there is more, it finds roughly when the oldest object was created
(a dozen one-object probes, to the day) and cuts the rest of the history into
slices of equal length, each paged on its own, ``concurrency`` requests at a
time. Every slice costs at most one page more than the minimum.

The state of every slice (its range, the last id read, whether it is done)
is the cursor: the pages are handed out in the order they arrive, each with
the state of every slice as far as the pages handed out so far go (a page
still in flight does not count), so a read resumed from any saved cursor
reads exactly what the interrupted one had not stored yet.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from plugins.stripe.api import Obj, StripeApi

PAGE = 100
EPOCH = int(datetime(2010, 1, 1, tzinfo=UTC).timestamp())
"""Nothing in Stripe is older than this."""
DAY = 86_400


@dataclass(slots=True)
class Slice:
    """Objects created in [gte, lt) (``None``: unbounded), read down to ``after``."""

    gte: int | None
    lt: int | None
    after: str | None = None
    done: bool = False

    def params(self, base: Mapping[str, Any], limit: int = PAGE) -> dict[str, Any]:
        query = {**base, "limit": limit}
        created = {}
        if self.gte is not None:
            created["gte"] = self.gte
        if self.lt is not None:
            created["lt"] = self.lt
        if created:
            query["created"] = created
        if self.after:
            query["starting_after"] = self.after
        return query


@dataclass(slots=True)
class SlicePage:
    """A page of one slice, and every slice's state once it is taken in."""

    objects: list[Obj]
    slices: list[Slice]
    estimate: int | None = None
    """About how many objects the whole read returns (from the first page's density)."""


def plan(api: StripeApi, resource: str, base: Mapping[str, Any], first: list[Obj],
         workers: int, since: int | None, limit: int = PAGE) -> tuple[list[Slice], int]:
    """Slices for what is older than the first page (whose last object is ``first[-1]``),
    and about when the oldest object was created."""
    newest_left = int(first[-1]["created"])
    oldest = since if since is not None else _oldest(api, resource, base, newest_left)
    top = Slice(since, None, after=first[-1]["id"])
    count = _slice_count(first, oldest, workers, limit)
    if count < 2 or newest_left - oldest < count * 60:  # little left: one slice will do
        return [top], oldest
    step = (newest_left - oldest) // count
    bounds = [oldest + i * step for i in range(1, count)]
    top.gte = bounds[-1]  # the newest slice continues where the first page stopped
    slices = [top]
    for lo, hi in zip(reversed(bounds[:-1]), reversed(bounds[1:]), strict=True):
        slices.append(Slice(lo, hi))
    slices.append(Slice(since, bounds[0]))  # and everything older, whatever the probes said
    return slices, oldest


def estimate_left(first: list[Obj], oldest: int) -> int:
    """About how many objects are older than the first page.

    The first page says how densely objects were created lately; the rest of
    the history is assumed as dense.
    """
    newest, newest_left = int(first[0]["created"]), int(first[-1]["created"])
    per_second = len(first) / max(1, newest - newest_left)
    return int(per_second * max(0, newest_left - oldest))


def _slice_count(first: list[Obj], oldest: int, workers: int, limit: int) -> int:
    """As many slices as keep ``workers`` busy, but about four pages each at least
    (each slice may cost one page more than the minimum)."""
    pages_left = estimate_left(first, oldest) / limit
    return max(1, min(workers * 4, int(pages_left // 4)))


def _oldest(api: StripeApi, resource: str, base: Mapping[str, Any], newer_than: int) -> int:
    """About when the oldest object was created (to the day): a bisection of one-object pages."""
    lo, hi = EPOCH, newer_than
    while hi - lo > DAY:
        mid = (lo + hi) // 2
        data, _ = api.list_page(resource, {**base, "limit": 1, "created": {"lt": mid}})
        if data:
            hi = mid  # something is older than mid
        else:
            lo = mid
    return lo


def read(api: StripeApi, resource: str, base: Mapping[str, Any], *, workers: int,
         since: int | None = None, resume: list[Slice] | None = None,
         limit: int = PAGE) -> Iterator[SlicePage]:
    """Every object of ``GET /v1/<resource>`` (with ``base`` filters) created at or
    after ``since`` (``None``: all of them), page by page of ``limit`` objects."""
    if resume is None:
        first, more = api.list_page(resource, Slice(since, None).params(base, limit))
        if not more or not first:
            yield SlicePage(first, [])
            return
        slices, oldest = plan(api, resource, base, first, workers, since, limit)
        estimate = len(first) + estimate_left(first, oldest)
        yield SlicePage(first, [Slice(**asdict(s)) for s in slices], estimate)
    else:
        slices, estimate = resume, None
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stripe") as pool:
        running: dict[cf.Future[tuple[list[Obj], bool]], int] = {}

        def submit(index: int) -> None:
            query = slices[index].params(base, limit)
            running[pool.submit(api.list_page, resource, query)] = index

        for i, s in enumerate(slices):
            if not s.done:
                submit(i)
        try:
            while running:
                finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    index = running.pop(future)
                    data, more = future.result()
                    s = slices[index]
                    if data:
                        s.after = data[-1]["id"]
                    s.done = not more or not data
                    state = [Slice(**asdict(x)) for x in slices]
                    if not s.done:  # asked for before this page is stored: the pipe stays full
                        submit(index)
                    yield SlicePage(data, state, estimate)
        finally:
            for future in running:
                future.cancel()


SliceRow = tuple[int | None, int | None, str | None, bool]
"""A slice as a cursor keeps it: ``[gte, lt, after, done]``."""


def encode(slices: Sequence[Slice]) -> list[SliceRow]:
    return [(s.gte, s.lt, s.after, s.done) for s in slices]


def decode(rows: Sequence[SliceRow]) -> list[Slice]:
    return [Slice(gte, lt, after, bool(done)) for gte, lt, after, done in rows]
