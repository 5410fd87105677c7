"""Compact columns for the reconciler's tables: a million rows in a few bytes each.

A Python object per value costs 30 to 70 bytes; at a million invoices the
objects, not the data, fill the memory. These columns keep values instead:

- :class:`PooledColumn` for values that repeat (systems, currencies, statuses,
  customer names, dates): each distinct value once, a small integer per row;
- :class:`StrColumn` for values that do not (document ids and numbers, memos):
  their UTF-8 bytes end to end in one buffer, and where each one ends.

Integers (ids, amounts) go in plain :class:`array.array` columns.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)

_WIDER = {"B": ("H", 1 << 8), "H": ("I", 1 << 16), "I": ("Q", 1 << 32)}
"""Unsigned typecode -> (the next wider one, the first value it cannot hold)."""


def _fit(column: array[int], value: int) -> array[int]:
    """``column`` itself, or a wider copy of it if ``value`` does not fit."""
    while column.typecode in _WIDER and value >= _WIDER[column.typecode][1]:
        column = array(_WIDER[column.typecode][0], column)
    return column


def int_column(values: Iterable[int] = ()) -> array[int]:
    """A column of signed 64-bit integers (record ids, minor units)."""
    return array("q", values)


class PooledColumn(Generic[T]):
    """A column of repeated values: each distinct value stored once, a code per row.

    Two rows holding equal values hold the same object; ``None`` is a value
    like any other (``PooledColumn[str | None]``).
    """

    __slots__ = ("_codes", "_index", "values")

    def __init__(self) -> None:
        self.values: list[T] = []
        """The distinct values; a row's code is its value's position here."""
        self._index: dict[T, int] = {}
        self._codes: array[int] = array("B")

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, row: int) -> T:
        return self.values[self._codes[row]]

    @property
    def codes(self) -> array[int]:
        """The code of every row (read only)."""
        return self._codes

    def code_of(self, value: T) -> int | None:
        """The code of ``value``, or ``None`` if no row holds it."""
        return self._index.get(value)

    def append(self, value: T) -> None:
        self.extend((value,))

    def set(self, row: int, value: T) -> None:
        """Row ``row`` holds ``value`` from now on."""
        code = self._index.get(value)
        if code is None:
            code = self._index[value] = len(self.values)
            self.values.append(value)
            self._codes = _fit(self._codes, code)
        self._codes[row] = code

    def extend(self, values: Iterable[T]) -> None:
        index, pool = self._index, self.values
        codes = []
        for value in values:
            code = index.get(value)
            if code is None:
                code = index[value] = len(pool)
                pool.append(value)
            codes.append(code)
        self._codes = _fit(self._codes, len(pool) - 1)
        self._codes.extend(codes)


class StrColumn:
    """A column of strings (or ``None``), stored as UTF-8 bytes end to end."""

    __slots__ = ("_bytes", "_ends", "_none")

    def __init__(self) -> None:
        self._bytes = bytearray()
        self._ends: array[int] = array("I")
        self._none: bytearray | None = None
        """One byte per row, 1 where the row holds ``None``; made at the first ``None``."""

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, row: int) -> str | None:
        if self._none is not None and self._none[row]:
            return None
        return self.text(row)

    def text(self, row: int) -> str:
        """The row's string, ``""`` for ``None`` (for columns that never hold one)."""
        start = self._ends[row - 1] if row else 0
        return self._bytes[start:self._ends[row]].decode("utf-8", "surrogatepass")

    def is_empty(self, row: int) -> bool:
        """True for ``None`` and ``""``, without decoding."""
        return self._ends[row] == (self._ends[row - 1] if row else 0)

    def append(self, value: str | None) -> None:
        self.extend((value,))

    def extend(self, values: Iterable[str | None]) -> None:
        data, ends = self._bytes, []
        start = len(self._ends)
        for offset, value in enumerate(values):
            if value is None:
                if self._none is None:
                    self._none = bytearray(start + offset)
                self._none.extend(b"\x00" * (start + offset - len(self._none)))
                self._none.append(1)
            elif value:
                data += value.encode("utf-8", "surrogatepass")
            ends.append(len(data))
        self._ends = _fit(self._ends, len(data))
        self._ends.extend(ends)
        if self._none is not None:
            self._none.extend(b"\x00" * (len(self._ends) - len(self._none)))
