"""Streaming one CSV file into pages: rows skipped by rule, ids, invoice lines, rejects."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hub import CanonicalRecord, Page, RecordRejected, StatedTotals
from plugins.csv.control import SKIPPED, ControlRow
from plugins.csv.cursor import CsvCursor, FileMark
from plugins.csv.identity import derived_id
from plugins.csv.mapping import RowError, RowMapper
from plugins.csv.records import Faulty
from plugins.csv.skipping import SkipRules


class Footer:
    """``rows`` without their last ``count`` non-blank rows (a file's totals), held back."""

    def __init__(self, rows: Iterable[tuple[int, list[str]]], count: int) -> None:
        self.rows = rows
        self.count = count
        self.held = 0
        """How many non-blank rows were held back, once the rows are exhausted."""

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self.count == 0:
            yield from self.rows
            return
        buffer: deque[tuple[int, list[str]]] = deque()
        filled = 0
        for row in self.rows:
            buffer.append(row)
            if "".join(row[1]).strip():
                filled += 1
            while filled > self.count:
                line, cells = buffer.popleft()
                if "".join(cells).strip():
                    filled -= 1
                yield line, cells
        self.held = filled


class FilePager:
    """Streams one file into pages, grouping invoice lines and catching repeated ids."""

    def __init__(self, mapper: RowMapper, path: Path, key: str, fingerprint: str, size: int,
                 cursor: CsvCursor, resume: int, page_size: int,
                 notes: list[str] | None = None) -> None:
        self.m = mapper
        self.path = path
        self.label = path.name
        self.key = key
        self.fp = fingerprint
        self.size = size
        self.cursor = cursor
        self.resume = resume
        self.page_size = page_size
        self.rules = SkipRules.compile(mapper)
        self.control = ControlRow.compile(mapper)
        self.derived_counts: dict[int, int] = {}
        self.records: list[CanonicalRecord] = []
        self.rejected: list[RecordRejected] = []
        self.locations: dict[str, str] = {}
        self.skipped: dict[str, int] = {}
        self.notes = list(notes or [])
        """What the run's summary should say about the file (the encoding a detector chose),
        given with the first page."""

    def _where(self, line: int) -> str:
        return f"{self.label}:{line}"

    def _reject(self, reason: str, raw: Any, line: int, external_id: str | None = None) -> None:
        self.rejected.append(RecordRejected(reason, raw=raw, location=self._where(line),
                                            entity=self.m.entity, external_id=external_id))

    def _skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def _page(self, rows_done: int, done: bool, position: int,
              stated: StatedTotals | None = None) -> Page:
        self.cursor.files[self.key] = FileMark(fp=self.fp, rows=rows_done, done=done)
        page = Page(records=self.records, rejected=self.rejected, cursor=self.cursor,
                    locations=self.locations, progress=(position, self.size),
                    skipped=self.skipped, notes=self.notes, stated=stated)
        self.records, self.rejected, self.locations, self.skipped = [], [], {}, {}
        self.notes = []
        return page

    def _identify(self, cells: list[str]) -> str:
        """The row's external id: its id columns, or its identity from its content.

        Rows of one identity in a file without an id column (two equal card
        payments on one day) are told apart by their order among equals: this
        is the one case where the pager keeps a digest per row in memory. Files
        with an id column stream in constant memory; a repeated id is caught by
        the store.
        """
        ext = self.m.external_id(cells)
        if ext is not None:
            return ext
        digest = self.m.derived_digest(cells)
        n = self.derived_counts.get(digest, 0) + 1
        self.derived_counts[digest] = n
        return derived_id(digest, n)

    def _emit(self, ext: str, group: list[tuple[int, list[str]]]) -> None:
        line = group[0][0]
        raw: dict[str, Any]
        if self.m.line_mode:
            raw = {"rows": [self.m.raw_of(cells) for _, cells in group]}
        else:
            raw = self.m.raw_of(group[0][1])
        try:
            record = self.m.build(ext, [cells for _, cells in group], raw)
        except RowError as exc:
            self._reject(str(exc), raw, line, external_id=ext)
            return
        self.records.append(record)
        self.locations[ext] = self._where(line)
        if self.control is not None:
            self.control.currencies.add(getattr(record, "currency", None) or "")

    def _emit_row(self, ext: str, line: int, cells: list[str]) -> None:
        """:meth:`_emit` for a record of one row (every entity but invoices with lines)."""
        raw = self.m.raw_of(cells)
        try:
            record = self.m.build(ext, (cells,), raw)
        except RowError as exc:
            self._reject(str(exc), raw, line, external_id=ext)
            return
        self.records.append(record)
        self.locations[ext] = f"{self.label}:{line}"
        if self.control is not None:
            self.control.currencies.add(getattr(record, "currency", None) or "")

    def run(self, stream: Any) -> Iterator[Page]:
        width = len(self.m.header)
        rows_done = 0          # data rows consumed, through the last emitted record
        rows_seen = 0
        group: list[tuple[int, list[str]]] = []
        group_id: str | None = None
        group_start = 0        # rows_seen at the group's first row
        line_mode = self.m.line_mode
        rules = self.rules
        footer = Footer(stream, self.m.mapping.skip_footer)
        for line, cells in footer:
            rows_seen += 1
            skipping = rows_seen <= self.resume
            if isinstance(cells, Faulty):
                if not skipping:
                    self._reject(cells.reason, {**cells.raw, "_line": line}, line)
                if not group:
                    rows_done = rows_seen
                continue
            if self.control is not None and self.control.matches(cells):
                if not skipping:
                    self.control.read(line, cells)
                    self._skip(SKIPPED)
                if not group:
                    rows_done = rows_seen
                continue
            rule = rules.matching(cells) if rules else None
            if rule is not None:
                if not skipping:
                    self._skip(rule)
                if not group:
                    rows_done = rows_seen
                continue
            if len(cells) != width:
                if len(cells) > width and not any(c.strip() for c in cells[width:]):
                    cells = cells[:width]
                elif not any(c.strip() for c in cells):
                    if not group:
                        rows_done = rows_seen
                    continue
                else:
                    if not skipping:
                        self._reject(
                            f"the row has {len(cells)} fields but the header has {width} "
                            "(a stray delimiter, or a line break inside an unquoted field?)",
                            {"_fields": cells}, line)
                    if not group:
                        rows_done = rows_seen
                    continue
            if not "".join(cells).strip():
                if not group:
                    rows_done = rows_seen
                continue
            if rules.money_out is not None and rules.is_money_out(cells):
                if not skipping:
                    self._skip(rules.money_out)
                rows_done = rows_seen
                continue
            try:
                ext = self._identify(cells)
            except RowError as exc:
                if not skipping:
                    self._reject(str(exc), self.m.raw_of(cells), line)
                if not group:
                    rows_done = rows_seen
                continue
            if line_mode:
                if group and ext == group_id:
                    group.append((line, cells))
                    continue
                if group:
                    self._close_group(group_id, group, skipped=group_start <= self.resume)
                    rows_done = rows_seen - 1
                group, group_id, group_start = [(line, cells)], ext, rows_seen
            elif skipping:
                rows_done = rows_seen
            else:
                self._emit_row(ext, line, cells)
                rows_done = rows_seen
            if len(self.records) + len(self.rejected) >= self.page_size:
                yield self._page(rows_done, False, stream.position())
        if group:
            self._close_group(group_id, group, skipped=group_start <= self.resume)
        if footer.held:
            self._skip(rules.footer, footer.held)
        yield self._page(rows_seen, True, self.size, self._stated())

    def _stated(self) -> StatedTotals | None:
        """The file's control totals, when it has them and was read whole in this pull."""
        if self.control is None:
            return None
        if self.resume:
            self.notes.append(f"{self.label}: the control-total row is not compared: this "
                              "pull resumed partway through the file")
            return None
        self.control.currencies.discard("")
        stated, note = self.control.stated()
        if note:
            self.notes.append(note)
        return stated

    def _close_group(self, group_id: str | None, group: list[tuple[int, list[str]]], *,
                     skipped: bool) -> None:
        """Emit a finished invoice, unless a resumed pull is still skipping past it."""
        assert group_id is not None
        if not skipped:
            self._emit(group_id, group)
