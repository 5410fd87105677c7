"""Finding rows by a key, in 8 bytes a row.

A dict from a key to a row costs over a hundred bytes an entry (the key's
string, an int object, the table slot); at a million invoices, each index
would weigh more than the rows. Here each entry is one 64-bit integer, the
key's hash (32 bits) above the row's position (32 bits), and the entries are
sorted, so the rows of a key are found by binary search, in position order.

Two keys can share a hash: the caller's ``matches(row, key)`` says whether a
row really holds the key, so a collision can never return an unrelated row.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Iterator

_LOW = (1 << 32) - 1


def key_hash(key: Hashable) -> int:
    """The 32 bits of ``hash(key)`` an entry keeps."""
    return hash(key) & _LOW


def pack(key: Hashable, row: int) -> int:
    """One entry: the key's hash above the row's position."""
    return key_hash(key) << 32 | row


def sort_packed(entries: Iterable[int]) -> array[int]:
    """The entries, sorted, in one array.

    They are first spread over 256 buckets by their top byte, then each bucket
    is sorted on its own, so the only Python ints alive at once are one
    bucket's (a sort of a million-int list would need 50 MB more).
    """
    buckets = [array("Q") for _ in range(256)]
    for entry in entries:
        buckets[entry >> 56].append(entry)
    out = array("Q")
    for i, bucket in enumerate(buckets):
        out.extend(sorted(bucket))
        buckets[i] = array("Q")
    return out


def same_hash_runs(packed: array[int]) -> Iterator[list[int]]:
    """The rows of each run of entries sharing a hash, for runs of two or more."""
    run: list[int] = []
    current = -1
    for entry in packed:
        h = entry >> 32
        if h != current:
            if len(run) > 1:
                yield run
            run, current = [], h
        run.append(entry & _LOW)
    if len(run) > 1:
        yield run


class HashIndex:
    """Rows by key: ``get(key)`` returns the positions of the rows holding ``key``."""

    __slots__ = ("_matches", "_packed")

    def __init__(self, keyed: Iterable[tuple[Hashable, int]],
                 matches: Callable[[int, Hashable], bool]) -> None:
        """``keyed``: (key, row) for every key of every row; ``matches(row, key)``: the truth."""
        self._packed = sort_packed(pack(key, row) for key, row in keyed)
        self._matches = matches

    def __len__(self) -> int:
        return len(self._packed)

    def get(self, key: Hashable) -> list[int]:
        """The rows holding ``key``, in position order (a row holding it under two names,
        or under two keys that share a hash, is listed twice)."""
        packed, h = self._packed, key_hash(key)
        at = bisect_left(packed, h << 32)
        out = []
        while at < len(packed) and packed[at] >> 32 == h:
            row = packed[at] & _LOW
            if self._matches(row, key):
                out.append(row)
            at += 1
        return out
