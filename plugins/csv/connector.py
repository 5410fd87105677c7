"""The CSV connector: pulls customers, invoices, payments and bank lines from files.

Each configured file is streamed in pages. The cursor after a page
(:class:`~plugins.csv.cursor.CsvCursor`) records, per file, the file's
fingerprint and how many data rows are done, so an interrupted pull of an
unchanged file resumes where it stopped; a finished or changed file is read
again from the top (unchanged rows cost a hash comparison and nothing else).

A pull that read every file of the entity from the top says so on its last
page (``Page.complete``): the hub then marks deleted the records those files
no longer hold. ``removed_rows`` in the connector's section chooses when.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hub import (
    CanonicalRecord,
    CheckResult,
    Connector,
    ConnectorContext,
    FatalError,
    Page,
    RecordRejected,
)
from plugins.csv.config import CsvConfig, FileMapping
from plugins.csv.cursor import CsvCursor
from plugins.csv.identity import derived_id
from plugins.csv.mapping import RowError, RowMapper
from plugins.csv.pager import FilePager
from plugins.csv.presets import merge_preset, raw_rows
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

    # ----------------------------------------------------------------- checking
    def check(self) -> CheckResult:
        """Every configured file exists, is readable, and has the columns its mapping names."""
        checked = 0
        for mapping in self.mappings:
            if mapping.entity is None:
                continue
            files = [(p, m) for m, p, _ in self.files_for(mapping.entity) if m is mapping]
            if not files:
                return CheckResult.failed(
                    f"no file matches {mapping.path!r} ({mapping.entity})",
                    hint="check `path` in the connector's [[files]] section (relative paths "
                         "start at the config file's folder)")
            for path, m in files:
                self._check_file(m, path)
                checked += 1
        return CheckResult.passed(f"{checked} file(s) readable, every mapped column present")

    def _check_file(self, mapping: FileMapping, path: Path) -> None:
        """Open ``path`` and compile its mapping against the header; a FatalError says why not."""
        try:
            facts = inspect_file(path, mapping.encoding, self.name)
        except OSError as exc:
            raise FatalError(f"CSV file {path} cannot be read: {exc.strerror or exc}",
                             connector=self.name,
                             hint="let the user running billing-hub read the file") from None
        delimiter = mapping.delimiter
        if delimiter in (None, "auto"):
            delimiter = sniff_delimiter(path, facts.encoding, mapping.skip_rows)
        stream = open_rows(path, encoding=facts.encoding, delimiter=delimiter,
                           quotechar=mapping.quotechar, skip_rows=mapping.skip_rows,
                           connector=self.name, header=mapping.header,
                           cell_limit=mapping.max_cell_bytes, row_limit=mapping.max_row_bytes)
        try:
            RowMapper.compile(mapping, stream.header, source=self.name, file_label=path.name,
                              connector=self.name)
        finally:
            stream.close()

    # ----------------------------------------------------------------- pulling
    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        saved = CsvCursor.load(cursor) or CsvCursor(files={})
        resumed: list[str] = []
        files = self.files_for(entity)
        for mapping, path, key in files:
            yield from self._pull_file(mapping, path, key, saved, resumed)
        policy = self.config.removed_rows
        if files and not resumed and (
            policy == "delete" or (policy == "delete-on-full-sync" and cursor is None)
        ):
            yield Page(records=[], cursor=saved, complete=True)

    def _pull_file(
        self, mapping: FileMapping, path: Path, key: str, saved: CsvCursor, resumed: list[str]
    ) -> Iterator[Page]:
        facts = inspect_file(path, mapping.encoding, self.name)
        prior = saved.files.get(key)
        resume = 0
        if prior is not None and prior.fp == facts.fingerprint and not prior.done:
            resume = prior.rows
            resumed.append(key)
        delimiter = mapping.delimiter
        if delimiter in (None, "auto"):
            delimiter = sniff_delimiter(path, facts.encoding, mapping.skip_rows)
        stream = open_rows(path, encoding=facts.encoding, delimiter=delimiter,
                           quotechar=mapping.quotechar, skip_rows=mapping.skip_rows,
                           connector=self.name, header=mapping.header,
                           cell_limit=mapping.max_cell_bytes, row_limit=mapping.max_row_bytes)
        try:
            mapper = RowMapper.compile(mapping, stream.header, source=self.name,
                                       file_label=path.name, connector=self.name)
            pager = FilePager(mapper, path, key, facts.fingerprint, facts.size, saved, resume,
                              self.config.page_size, notes=[facts.note] if facts.note else [])
            yield from pager.run(stream)
        finally:
            stream.close()

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
            ext = mapper.external_id(cells[0]) or derived_id(mapper.derived_digest(cells[0]), 1)
            return mapper.build(ext, cells, dict(raw))
        except RowError as exc:
            raise RecordRejected(str(exc), raw=dict(raw), location=location,
                                 entity=entity) from None
