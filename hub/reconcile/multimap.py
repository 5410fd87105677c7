"""A dict from a key to one value or several, without a list per key.

Most keys of the reconciler's indexes (document numbers, invoice ids) have
exactly one value; a list for each of a million keys would cost more memory
than the rows themselves. Lists are made only for keys seen twice.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class MultiMap(Generic[K, V]):
    """``add(key, value)``; ``get(key)`` returns a (possibly empty) sequence."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[K, V | list[V]] = {}

    def add(self, key: K, value: V) -> None:
        data = self._data
        old = data.get(key, _MISSING)
        if old is _MISSING:
            data[key] = value
        elif type(old) is list:
            old.append(value)
        else:
            data[key] = [old, value]  # type: ignore[list-item]

    def get(self, key: K) -> Sequence[V]:
        found = self._data.get(key, _MISSING)
        if found is _MISSING:
            return ()
        if type(found) is list:
            return found
        return (found,)  # type: ignore[return-value]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> Iterator[K]:
        return iter(self._data)

    def items(self) -> Iterator[tuple[K, Sequence[V]]]:
        for key in self._data:
            yield key, self.get(key)


_MISSING: object = object()
