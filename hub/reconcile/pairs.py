"""Finding records that share a key and lie a few days apart, in little memory.

Rather than a dict of lists over every record, each record's key is hashed
into one sorted array (:mod:`hub.reconcile.hashindex`), so that records with
equal keys sit next to each other; only those runs are looked at, in date
order. Records in a run are grouped by their real key, so a hash collision can
never pair two unrelated records.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import date
from typing import TypeVar

from hub.reconcile.hashindex import pack, same_hash_runs, sort_packed

T = TypeVar("T")


def close_pairs(items: Sequence[T], key: Callable[[T], Hashable | None],
                day: Callable[[T], date | None], window_days: int
                ) -> Iterator[tuple[T, T]]:
    """Consecutive (earlier, later) items with the same key, at most ``window_days`` apart.

    Items with equal keys are taken in date order, then in their order in ``items``.
    """
    def entries() -> Iterator[int]:
        for i, item in enumerate(items):
            k = key(item)
            if k is not None and day(item) is not None:
                yield pack(k, i)

    for run in same_hash_runs(sort_packed(entries())):
        groups: dict[Hashable, list[tuple[date, int]]] = defaultdict(list)
        for i in run:
            when = day(items[i])
            assert when is not None
            groups[key(items[i])].append((when, i))
        for dated in groups.values():
            dated.sort()
            for (d1, first), (d2, second) in itertools.pairwise(dated):
                if (d2 - d1).days <= window_days:
                    yield items[first], items[second]
