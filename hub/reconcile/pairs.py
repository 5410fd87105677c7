"""Finding records that share a key and lie a few days apart, in little memory.

Rather than a dict of lists over every record, the records are sorted once by
one integer (a hash of their key, then the day), so that equal keys sit next
to each other in date order. Neighbours with the same hash are checked against
the real key, so a hash collision can never pair two unrelated records.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import date
from typing import TypeVar

T = TypeVar("T")
_MASK = (1 << 40) - 1


def close_pairs(items: Sequence[T], key: Callable[[T], Hashable | None],
                day: Callable[[T], date | None], window_days: int
                ) -> Iterator[tuple[T, T]]:
    """Consecutive (earlier, later) items with the same key, at most ``window_days`` apart."""
    keyed: list[tuple[int, T]] = []
    for item in items:
        k = key(item)
        when = day(item)
        if k is None or when is None:
            continue
        keyed.append(((hash(k) & _MASK) << 22 | when.toordinal(), item))
    keyed.sort(key=lambda pair: pair[0])
    run: list[T] = []
    run_hash = -1
    for sort_key, item in keyed:
        h = sort_key >> 22
        if h != run_hash:
            yield from _pairs_in_run(run, key, day, window_days)
            run, run_hash = [], h
        run.append(item)
    yield from _pairs_in_run(run, key, day, window_days)


def _pairs_in_run(run: list[T], key: Callable[[T], Hashable | None],
                  day: Callable[[T], date | None], window_days: int
                  ) -> Iterator[tuple[T, T]]:
    if len(run) < 2:
        return
    groups: dict[Hashable, list[T]] = defaultdict(list)
    for item in run:  # already in date order within the run
        groups[key(item)].append(item)
    for rows in groups.values():
        for first, second in itertools.pairwise(rows):
            d1, d2 = day(first), day(second)
            if d1 is not None and d2 is not None and (d2 - d1).days <= window_days:
                yield first, second
