"""The CSV connector: pulls customers, invoices, payments and bank lines from files.

Each configured file is streamed in pages. The cursor after a page
(:class:`~plugins.csv.cursor.CsvCursor`) records, per file, the file's
fingerprint and how many data rows are done, so an interrupted pull of an
unchanged file resumes where it stopped; a finished or changed file is read
again from the top (unchanged rows cost a hash comparison and nothing else).
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hub import CanonicalRecord, Connector, ConnectorContext, FatalError, Page, RecordRejected
from plugins.csv.config import CsvConfig, FileMapping
from plugins.csv.cursor import CsvCursor, FileMark
from plugins.csv.mapping import RowError, RowMapper, merge_preset, raw_rows
from plugins.csv.reader import inspect_file, open_rows, sniff_delimiter

ENTITY_ORDER = ("customer", "invoice", "payment", "bank_transaction")


class CsvConnector(Connector):
    """Reads the files of one ``[connectors.NAME]`` section of type ``csv``."""

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        config = context.config
        assert isinstance(config, CsvConfig)
        self.config = config
        self.mappings: list[FileMapping] = []
        for i, m in enumerate(config.files):
            try:
                self.mappings.append(merge_preset(m))
            except ValueError as exc:
                raise FatalError(f"files[{i}]: {exc}", connector=self.name,
                                 hint="fix `preset` in the config") from None

    def entities(self) -> Sequence[str]:
        wanted = {m.entity for m in self.mappings}
        return [e for e in ENTITY_ORDER if e in wanted]

    def files_for(self, entity: str) -> list[tuple[FileMapping, Path, str]]:
        """(mapping, path, cursor key) for every file of ``entity``, globs expanded in order."""
        out: list[tuple[FileMapping, Path, str]] = []
        for m in self.mappings:
            if m.entity != entity:
                continue
            pattern = Path(m.path).expanduser()
            if not pattern.is_absolute():
                pattern = self.context.base_dir / pattern
            if glob.has_magic(str(pattern)):
                matches = sorted(Path(p) for p in glob.glob(str(pattern)))
                out.extend((m, p, str(p)) for p in matches)
            else:
                out.append((m, pattern, m.path))
        return out

    # ----------------------------------------------------------------- pulling
    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        saved = CsvCursor.load(cursor) or CsvCursor(files={})
        for mapping, path, key in self.files_for(entity):
            yield from self._pull_file(mapping, path, key, saved)

    def _pull_file(
        self, mapping: FileMapping, path: Path, key: str, saved: CsvCursor
    ) -> Iterator[Page]:
        facts = inspect_file(path, mapping.encoding, self.name)
        prior = saved.files.get(key)
        resume = 0
        if prior is not None and prior.fp == facts.fingerprint and not prior.done:
            resume = prior.rows
        delimiter = mapping.delimiter
        if delimiter in (None, "auto"):
            delimiter = sniff_delimiter(path, facts.encoding, mapping.skip_rows)
        stream, text = open_rows(path, encoding=facts.encoding, delimiter=delimiter,
                                 quotechar=mapping.quotechar, skip_rows=mapping.skip_rows,
                                 connector=self.name)
        try:
            mapper = RowMapper.compile(mapping, stream.header, source=self.name,
                                       file_label=path.name, connector=self.name)
            pager = _FilePager(self, mapper, path, key, facts.fingerprint, facts.size,
                               saved, resume)
            try:
                yield from pager.run(stream)
            except UnicodeDecodeError as exc:  # the pre-pass makes this rare
                raise FatalError(f"{path.name}: cannot decode as {facts.encoding}: {exc}",
                                 connector=self.name, hint="set `encoding` for this file") from None
        finally:
            text.close()

    # ----------------------------------------------------------- quarantine retry
    def parse_raw(self, entity: str, raw: Mapping[str, Any], location: str = "") -> CanonicalRecord:
        file_name = location.rsplit(":", 1)[0] if location else ""
        candidates = [(m, p) for m, p, _ in self.files_for(entity)]
        chosen = next(((m, p) for m, p in candidates if p.name == file_name), None)
        if chosen is None and candidates:
            chosen = candidates[0]
        if chosen is None:
            raise RecordRejected(f"no file of entity {entity!r} is configured any more",
                                 raw=dict(raw), location=location, entity=entity)
        mapping, path = chosen
        rows = raw_rows(raw)
        header = list(rows[0].keys())
        mapper = RowMapper.compile(mapping, header, source=self.name, file_label=path.name,
                                   connector=self.name)
        cells = [[str(r.get(h, "")) for h in header] for r in rows]
        try:
            ext = mapper.external_id(cells[0]) or f"row-{mapper.derived_digest(cells[0]):016x}"
            return mapper.build(ext, cells, dict(raw))
        except RowError as exc:
            raise RecordRejected(str(exc), raw=dict(raw), location=location,
                                 entity=entity) from None


class _FilePager:
    """Streams one file into pages, grouping invoice lines and catching repeated ids."""

    def __init__(self, connector: CsvConnector, mapper: RowMapper, path: Path, key: str,
                 fingerprint: str, size: int, cursor: CsvCursor, resume: int) -> None:
        self.c = connector
        self.m = mapper
        self.path = path
        self.label = path.name
        self.key = key
        self.fp = fingerprint
        self.size = size
        self.cursor = cursor
        self.resume = resume
        self.page_size = connector.config.page_size
        self.derived_counts: dict[int, int] = {}
        self.records: list[CanonicalRecord] = []
        self.rejected: list[RecordRejected] = []
        self.locations: dict[str, str] = {}

    def _where(self, line: int) -> str:
        return f"{self.label}:{line}"

    def _reject(self, reason: str, raw: Any, line: int, external_id: str | None = None) -> None:
        self.rejected.append(RecordRejected(reason, raw=raw, location=self._where(line),
                                            entity=self.m.entity, external_id=external_id))

    def _page(self, rows_done: int, done: bool, position: int) -> Page:
        self.cursor.files[self.key] = FileMark(fp=self.fp, rows=rows_done, done=done)
        page = Page(records=self.records, rejected=self.rejected, cursor=self.cursor,
                    locations=self.locations, progress=(position, self.size))
        self.records, self.rejected, self.locations = [], [], {}
        return page

    def _identify(self, cells: list[str]) -> str:
        """The row's external id: its id columns, or a digest of its content.

        Identical rows in a file without an id column (two equal card payments
        on one day) are told apart by their order among equals: this is the one
        case where the pager keeps a digest per row in memory. Files with an id
        column stream in constant memory; a repeated id is caught by the store.
        """
        ext = self.m.external_id(cells)
        if ext is not None:
            return ext
        digest = self.m.derived_digest(cells)
        n = self.derived_counts.get(digest, 0) + 1
        self.derived_counts[digest] = n
        return f"row-{digest:016x}" + (f"-{n}" if n > 1 else "")

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

    def run(self, stream: Any) -> Iterator[Page]:
        width = len(self.m.header)
        rows_done = 0          # data rows consumed, through the last emitted record
        rows_seen = 0
        group: list[tuple[int, list[str]]] = []
        group_id: str | None = None
        group_start = 0        # rows_seen at the group's first row
        line_mode = self.m.line_mode
        for line, cells in stream:
            rows_seen += 1
            skipping = rows_seen <= self.resume
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
        yield self._page(rows_seen, True, self.size)

    def _close_group(self, group_id: str | None, group: list[tuple[int, list[str]]], *,
                     skipped: bool) -> None:
        """Emit a finished invoice, unless a resumed pull is still skipping past it."""
        assert group_id is not None
        if not skipped:
            self._emit(group_id, group)
