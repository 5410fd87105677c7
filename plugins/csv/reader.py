"""Opening a CSV file as a stream of rows with their line numbers.

The encoding is settled first (:mod:`plugins.csv.encoding`); rows are then
streamed (:mod:`plugins.csv.records`): memory does not grow with the file,
and a row that cannot be read arrives as a :class:`~plugins.csv.records.Faulty`
row for the pager to quarantine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hub import FatalError
from plugins.csv.encoding import FileFacts, inspect_file
from plugins.csv.records import Faulty, RecordReader, physical_lines

__all__ = ["FileFacts", "RowStream", "inspect_file", "open_rows", "sniff_delimiter"]


def sniff_delimiter(path: Path, encoding: str, skip_rows: int = 0) -> str:
    """Guess the delimiter from the header line: the most frequent of , ; tab |."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        for _ in range(skip_rows):
            fh.readline(1 << 20)
        header = fh.readline(1 << 20)
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
    _reader: RecordReader
    _binary: BinaryIO
    _first: tuple[int, list[str]] | None = None

    def position(self) -> int:
        """Bytes of the file read so far (for progress bars)."""
        return self._reader.position

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self._first is not None:
            yield self._first
        yield from self._reader

    def close(self) -> None:
        self._binary.close()


def open_rows(
    path: Path, *, encoding: str, delimiter: str, quotechar: str, skip_rows: int, connector: str,
    header: bool = True, cell_limit: int = 64 * 1024, row_limit: int = 1024 * 1024,
) -> RowStream:
    """Open ``path`` and read its header; the caller closes the returned stream.

    A file without a header (``header`` False) gets one of positions, ``col1``
    to ``colN``, as wide as its first row.
    """
    binary = path.open("rb")
    try:
        for _ in range(skip_rows):
            while (part := binary.readline(1 << 20)) and not part.endswith(b"\n"):
                pass
        lines = physical_lines(binary, encoding, row_limit, start=skip_rows + 1)
        reader = RecordReader(lines, encoding=encoding, delimiter=delimiter,
                              quotechar=quotechar, cell_limit=cell_limit, row_limit=row_limit)
        rows = iter(reader)
        try:
            line, names = next(rows)
        except StopIteration:
            what = "no header line" if header else "no rows"
            raise FatalError(f"{path.name} is empty: it has {what}", connector=connector,
                             hint="export the file again, or remove it from the config") from None
        if isinstance(names, Faulty) and header:
            raise FatalError(f"{path.name}: the header line cannot be read: {names.reason}",
                             connector=connector,
                             hint="set `skip_rows` to the number of lines above the header")
        first: tuple[int, list[str]] | None = None
        if not header:
            first = (line, names)
            names = [f"col{i}" for i in range(1, max(len(names), 1) + 1)]
        names = [h.strip() for h in names]
        while names and names[-1] == "":
            names.pop()
        if not names:
            raise FatalError(f"{path.name} has an empty header line", connector=connector,
                             hint="set `skip_rows` to the number of lines above the header")
        reader.width = len(names)
    except BaseException:
        binary.close()
        raise
    return RowStream(header=names, _reader=reader, _binary=binary, _first=first)
