"""Cutting a CSV file into rows, and saying which rows cannot be read.

Python's ``csv`` module, given a quote that is never closed, reads on to the
next quote (or to the end of the file) and gives one row holding all the rows
in between: they are lost without a word. Here the file is read line by line
as bytes, and a row that spans lines (a quoted field with a line break in it)
is accepted only while it is plausible:

* a quoted field that runs into a line which reads as a row of its own (as
  many fields as the header; for a line with a stray quote of its own, as
  many delimiters as the header's) was never closed: the row it
  opened on is a :class:`Faulty` row naming the line of the quote, and the
  lines after it are read as rows again;
* so is a quoted field still open at the end of the file, or past the cell
  limit;
* a line with a byte its encoding does not have is a faulty row, with the
  byte's offset in the file;
* a line longer than the row limit, or a cell longer than the cell limit, is
  a faulty row with its size and a short sample (the rest is never held in
  memory).

Faulty rows reach the pager like any other row, which quarantines them; a row
is never dropped.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

SAMPLE_CHARS = 200
"""How much of a faulty row its quarantine entry keeps."""


class Faulty(list[str]):
    """A row that could not be read as cells: its one cell is a sample of its text."""

    def __init__(self, reason: str, sample: str, size: int) -> None:
        super().__init__([sample[:SAMPLE_CHARS]])
        self.reason = reason
        self.size = size

    @property
    def raw(self) -> dict[str, Any]:
        """What the quarantine keeps: a sample of the row, and its size in bytes."""
        return {"_sample": self[0], "_bytes": self.size}


@dataclass(slots=True)
class Line:
    """One physical line: its number, where it starts, its text and what is wrong with it."""

    number: int
    offset: int
    size: int
    text: str
    bad_byte: tuple[int, int] | None = None
    """(the byte, its offset in the file) of the first byte the encoding does not have."""
    too_long: bool = False


def _decode(data: bytes, encoding: str, offset: int) -> tuple[str, tuple[int, int] | None]:
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        return data.decode(encoding, errors="replace"), (data[exc.start], offset + exc.start)


_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


def physical_lines(binary: BinaryIO, encoding: str, row_limit: int, start: int = 1
                   ) -> Iterator[Line]:
    """The lines of ``binary`` from where it stands, numbered from ``start``.

    A line ends at LF, CRLF or a lone CR (as the csv module has it). A line
    longer than ``row_limit`` bytes is read to its end but only its start is
    kept (``too_long``).
    """
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf-8-sig", "utf8")
    plain = "utf-8" if utf8 else encoding
    offset = binary.tell()
    number = start
    if offset == 0 and utf8:
        head = binary.read(3)
        if head == b"\xef\xbb\xbf":
            offset = 3
        else:
            binary.seek(0)
    while True:
        data = binary.readline(row_limit + 1)
        if not data:
            return
        if len(data) > row_limit and not data.endswith(b"\n"):
            size = len(data)
            while True:
                more = binary.readline(1 << 20)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            text = _decode(data[:SAMPLE_CHARS * 4], plain, offset)[0]
            yield Line(number, offset, size, text, too_long=True)
            offset += size
            number += 1
            continue
        parts = _LONE_CR.split(data) if b"\r" in data[:-2] else (data,)
        for part in parts:
            if not part:
                continue
            text, bad = _decode(part, plain, offset)
            yield Line(number, offset, len(part), text, bad)
            offset += len(part)
            number += 1


class RecordReader:
    """Rows of ``(line number, cells)`` from :func:`physical_lines`, quote by quote.

    ``width`` (the header's number of fields) lets a line be recognised as a
    row of its own; before the header is known it is None.
    """

    def __init__(self, lines: Iterator[Line], *, encoding: str, delimiter: str, quotechar: str,
                 cell_limit: int, row_limit: int) -> None:
        self.lines = lines
        self.pending: deque[Line] = deque()
        self.encoding = encoding
        self.delimiter = delimiter
        self.quotechar = quotechar
        self.cell_limit = cell_limit
        self.row_limit = row_limit
        self.width: int | None = None
        q, d = re.escape(quotechar), re.escape(delimiter)
        field = (rf"(?:{q}(?:[^{q}]|{q}{q})*{q}(?!{q})[^{d}\r\n]*"
                 rf"|[^{q}{d}\r\n][^{d}\r\n]*|)")
        self._closed = re.compile(rf"{field}(?:{d}{field})*(?:\r\n|\n|\r)?").fullmatch
        self.position = 0

    def _next(self) -> Line | None:
        if self.pending:
            return self.pending.popleft()
        line = next(self.lines, None)
        if line is not None:
            self.position = line.offset + line.size
        return line

    def _cells(self, text: str) -> list[str]:
        if self.quotechar not in text:
            body = text.rstrip("\r\n")
            return body.split(self.delimiter) if body else []
        return next(csv.reader([text], delimiter=self.delimiter, quotechar=self.quotechar,
                               strict=False), [])

    def _stands_alone(self, line: Line) -> bool:
        """Whether ``line`` reads as a complete row of the header's width by itself."""
        if self.width is None or line.too_long or not line.text.strip():
            return False
        if self.quotechar in line.text and not self._closed(line.text):
            # A row with a stray quote of its own still starts a row when its delimiters,
            # quotes aside, make the header's width: a field spanning lines rarely has that.
            return len(line.text.rstrip("\r\n").split(self.delimiter)) == self.width
        try:
            cells = self._cells(line.text)
        except csv.Error:
            return False
        extra = cells[self.width:]
        return len(cells) >= self.width and not any(c.strip() for c in extra)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while (first := self._next()) is not None:
            yield first.number, self._row(first)

    def _row(self, first: Line) -> list[str]:
        if first.too_long:
            return Faulty(f"the row is {first.size:,} bytes long; rows are limited to "
                          f"{self.row_limit:,} bytes (max_row_bytes)", first.text, first.size)
        parts = [first]
        if self.quotechar in first.text and not self._closed(first.text):
            problem = self._gather(parts)
            if problem is not None:
                self.pending.extendleft(reversed(parts[1:]))
                return Faulty(f"a quote opened on line {first.number} is not closed: {problem}; "
                              "the lines after it are read as rows", first.text, first.size)
        size = sum(p.size for p in parts)
        text = "".join(p.text for p in parts)
        bad = next((p for p in parts if p.bad_byte is not None), None)
        if bad is not None and bad.bad_byte is not None:
            byte, at = bad.bad_byte
            return Faulty(f"byte 0x{byte:02X} at byte offset {at:,} (line {bad.number}) is not "
                          f"valid {self.encoding.removesuffix('-sig').upper()} (if the whole file "
                          'is in another encoding, set it: `encoding = "cp1252"`)', text, size)
        try:
            cells = self._cells(text)
        except csv.Error as exc:
            return Faulty(f"the row cannot be read as CSV: {exc}", text, size)
        if size > self.cell_limit:
            for i, cell in enumerate(cells, 1):
                n = len(cell.encode("utf-8", errors="replace"))
                if n > self.cell_limit:
                    return Faulty(f"field {i} is {n:,} bytes long; cells are limited to "
                                  f"{self.cell_limit:,} bytes (max_cell_bytes)", text, n)
        return cells

    def _gather(self, parts: list[Line]) -> str | None:
        """Add lines to ``parts`` until its quote closes; what is wrong if it never does."""
        first = parts[0]
        size = first.size
        while True:
            line = self._next()
            if line is None:
                return "the file ends inside it"
            if line.too_long or self._stands_alone(line):
                self.pending.appendleft(line)
                what = "is over the row limit" if line.too_long else "reads as a row of its own"
                return f"the field runs on into line {line.number}, which {what}"
            parts.append(line)
            size += line.size
            if size > self.cell_limit:
                return (f"the field is still open after {size:,} bytes, over the cell limit "
                        f"of {self.cell_limit:,} (max_cell_bytes)")
            if self._closed("".join(p.text for p in parts)):
                return None
