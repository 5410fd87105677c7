"""Reading a CSV file as a stream of rows with their line numbers.

The file is read once up front in binary chunks to fingerprint it (so an
interrupted pull resumes only on the same file) and to check the encoding,
so a wrong guess is a clear error before any row is imported, not a
half-imported file. Rows are then streamed: memory does not grow with the
file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hub import FatalError

CHUNK = 1 << 20
SAMPLE = 64 * 1024
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the pre-pass learned about a file."""

    fingerprint: str
    size: int
    encoding: str


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def inspect_file(path: Path, encoding: str | None, connector: str) -> FileFacts:
    """Fingerprint ``path`` and settle its encoding.

    ``encoding`` None means: UTF-8 (with or without BOM) if the whole file
    decodes as UTF-8, else cp1252. A stated UTF-8 that fails to decode, or a
    stated single-byte encoding on a file that is clearly UTF-8, is an error
    naming the line and the setting to change.
    """
    if not path.exists():
        raise FatalError(
            f"CSV file {path} does not exist",
            connector=connector,
            hint="check `path` in the connector's [[files]] section (relative paths start at the "
                 "config file's folder)",
        )
    digest = hashlib.blake2b(digest_size=16)
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, saw_multibyte, bom = True, False, False
    lines_before = 0
    bad_line = 0
    size = 0
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if first:
                bom = chunk.startswith(codecs.BOM_UTF8)
                first = False
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                    if not saw_multibyte and any(b >= 0x80 for b in chunk[:SAMPLE]):
                        saw_multibyte = True
                except UnicodeDecodeError as exc:
                    utf8_ok = False
                    bad_line = lines_before + _line_of(chunk, max(exc.start, 0))
            lines_before += chunk.count(b"\n")
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok, bad_line = False, lines_before + 1

    stated = (encoding or "").lower()
    if stated in ("utf-8", "utf-8-sig"):
        if not utf8_ok:
            raise FatalError(
                f"{path.name} is not valid UTF-8 (first bad byte on line {bad_line})",
                connector=connector,
                hint='the file is probably in a Windows or Latin-1 encoding: set `encoding = '
                     '"cp1252"` (or "latin-1") for this file',
            )
        chosen = "utf-8-sig"
    elif stated:
        if utf8_ok and saw_multibyte and not bom:
            raise FatalError(
                f"{path.name} is set to {encoding} but its text is UTF-8 "
                "(accented letters would be misread, e.g. 'é' as 'Ã©')",
                connector=connector,
                hint='set `encoding = "utf-8"` for this file',
            )
        chosen = stated
    else:
        chosen = "utf-8-sig" if utf8_ok else "cp1252"
    return FileFacts(fingerprint=digest.hexdigest(), size=size, encoding=chosen)


def sniff_delimiter(path: Path, encoding: str, skip_rows: int = 0) -> str:
    """Guess the delimiter from the header line: the most frequent of , ; tab |."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        for _ in range(skip_rows):
            fh.readline()
        header = fh.readline()
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(slots=True)
class RowStream:
    """An open file yielding (line number, cells) for each row after the header.

    The line number is the file's own, counted from its first line: the line
    a row *starts* on (a quoted field may run over several), after any lines
    ``skip_rows`` passed over and the header.
    """

    header: list[str]
    _reader: Any
    _binary: BinaryIO
    _offset: int
    _first: tuple[int, list[str]] | None = None

    def position(self) -> int:
        """Bytes of the file read so far (for progress bars)."""
        return self._binary.tell()

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self._first is not None:
            yield self._first
        reader, offset = self._reader, self._offset
        ended = reader.line_num
        for cells in reader:
            yield offset + ended + 1, cells
            ended = reader.line_num


def open_rows(
    path: Path, *, encoding: str, delimiter: str, quotechar: str, skip_rows: int, connector: str,
    header: bool = True,
) -> tuple[RowStream, io.TextIOWrapper]:
    """Open ``path`` and read its header; the caller closes the returned text file.

    A file without a header (``header`` False) gets one of positions, ``col1``
    to ``colN``, as wide as its first row.
    """
    binary = path.open("rb")
    text = io.TextIOWrapper(binary, encoding=encoding, newline="", errors="strict")
    for _ in range(skip_rows):
        text.readline()
    reader = csv.reader(text, delimiter=delimiter, quotechar=quotechar, strict=False)
    try:
        names = next(reader)
    except StopIteration:
        text.close()
        what = "no header line" if header else "no rows"
        raise FatalError(f"{path.name} is empty: it has {what}", connector=connector,
                         hint="export the file again, or remove it from the config") from None
    first: tuple[int, list[str]] | None = None
    if not header:
        first = (skip_rows + 1, names)
        names = [f"col{i}" for i in range(1, len(names) + 1)]
    names = [h.strip() for h in names]
    while names and names[-1] == "":
        names.pop()
    if not names:
        text.close()
        raise FatalError(f"{path.name} has an empty header line", connector=connector,
                         hint="set `skip_rows` to the number of lines above the header")
    return RowStream(header=names, _reader=reader, _binary=binary, _offset=skip_rows,
                     _first=first), text
