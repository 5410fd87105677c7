"""The bank-statement connector: reads camt.053, camt.054, MT940, BAI2 and OFX files from a folder.

Each file is read whole (statements are small) and its entries handed over in
pages. An entry's id is the bank's own reference for it (camt.053
``AcctSvcrRef`` / ``NtryRef``, MT940 bank reference), else the statement and
position, so syncing the same file again changes nothing. A file that cannot
be read, an entry that cannot be mapped and a statement whose opening balance
plus its entries is not its closing balance are quarantined with a reason;
the rest goes on.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from hub import CanonicalRecord, Connector, ConnectorContext, FatalError, Page, RecordRejected
from plugins.bankfiles import bai2file, camt, mt940, ofxfile
from plugins.bankfiles.config import BankfilesConfig
from plugins.bankfiles.cursor import BankfilesCursor, FileMark
from plugins.bankfiles.entries import Statement, StatementError
from plugins.bankfiles.mapping import to_record

ENTITY = "bank_transaction"
MAX_FILE_BYTES = 50 * 1024 * 1024
_NOT_BOOKED = "entries not booked yet (camt status PDNG, INFO or FUTR)"
_AGAIN = "entries read again from another file (a camt.054 and its camt.053)"


class BankfilesConnector(Connector):
    """One ``[connectors.NAME]`` section of type ``bankfiles``."""

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        config = context.config
        assert isinstance(config, BankfilesConfig)
        self.config = config
        self._numbers: list[tuple[str, int, str]] = []
        """(account, statement number, where) of each statement read by the pull under way."""
        self._not_booked: list[int] = []

    def entities(self) -> Sequence[str]:
        return [ENTITY]

    def folder(self) -> Path:
        path = Path(self.config.path).expanduser()
        return path if path.is_absolute() else self.context.base_dir / path

    def files(self) -> list[Path]:
        folder = self.folder()
        if not folder.is_dir():
            raise FatalError(f"statement folder {folder} does not exist", connector=self.name,
                             hint="fix `path` in the connector's section")
        return sorted(p for p in folder.glob(self.config.pattern) if p.is_file())

    # ----------------------------------------------------------------- pulling
    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        if entity != ENTITY:
            return
        self._numbers = []
        self._not_booked = []
        saved = BankfilesCursor.load(cursor) or BankfilesCursor()
        mark = BankfilesCursor(files=dict(saved.files))
        records: list[CanonicalRecord] = []
        rejected: list[RecordRejected] = []
        locations: dict[str, str] = {}
        skipped: dict[str, int] = {}
        seen: set[str] = set()
        files = self.files()
        for n, path in enumerate(files):
            data = path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else b""
            digest = hashlib.sha256(data).hexdigest()
            prior = saved.files.get(path.name)
            skip = prior.items if prior and prior.sha256 == digest and not prior.done else 0
            items = list(self._read(path, data))
            for stmt_skips in self._not_booked:
                skipped[_NOT_BOOKED] = skipped.get(_NOT_BOOKED, 0) + stmt_skips
            self._not_booked = []
            for i, item in enumerate(items):
                if i < skip:
                    continue
                if isinstance(item, RecordRejected):
                    rejected.append(item)
                elif item[0].external_id in seen:  # a camt.054 entry its camt.053 repeats
                    skipped[_AGAIN] = skipped.get(_AGAIN, 0) + 1
                else:
                    record, where = item
                    seen.add(record.external_id)
                    records.append(record)
                    locations[record.external_id] = where
                mark.files[path.name] = FileMark(sha256=digest, items=i + 1,
                                                 done=i + 1 == len(items))
                if len(records) + len(rejected) >= self.config.page_size:
                    yield Page(records=records, rejected=rejected, locations=locations,
                               cursor=mark, progress=(n, len(files)), skipped=skipped)
                    records, rejected, locations, skipped = [], [], {}, {}
            mark.files[path.name] = FileMark(sha256=digest, items=len(items), done=True)
        rejected.extend(self._gaps())
        yield Page(records=records, rejected=rejected, locations=locations, cursor=mark,
                   progress=(len(files), len(files)), skipped=skipped)

    def _format(self, path: Path, data: bytes) -> str:
        if self.config.format != "auto":
            return self.config.format
        if camt.is_camt(data):
            return "camt"
        if mt940.is_mt940(data):
            return "mt940"
        if bai2file.is_bai2(data):
            return "bai2"
        if ofxfile.is_ofx(data):
            return "ofx"
        return "unknown"

    def _read(self, path: Path, data: bytes
              ) -> Iterator[tuple[CanonicalRecord, str] | RecordRejected]:
        size = path.stat().st_size
        raw_file: dict[str, Any] = {"file": path.name, "content": _text(data[:65536])}
        if size > MAX_FILE_BYTES:
            yield self._reject(f"file is {size} bytes, more than a statement can be "
                               f"({MAX_FILE_BYTES})", raw_file, path.name)
            return
        kind = self._format(path, data)
        try:
            if kind in ("camt", "camt053", "camt054"):
                statements = camt.parse(data, path.name)
            elif kind == "mt940":
                statements = mt940.parse(data, path.name)
            elif kind == "bai2":
                statements = bai2file.parse(data, path.name)
            elif kind == "ofx":
                statements = ofxfile.parse(data, path.name)
            else:
                raise StatementError(
                    "not camt.053/054, MT940, BAI2 or OFX: set `format` if it is one")
        except StatementError as exc:
            yield self._reject(f"{path.name}: {exc}", raw_file, path.name)
            return
        for stmt in statements:
            yield from self._statement(stmt)

    def _gaps(self) -> Iterator[RecordRejected]:
        """A statement missing between two the folder holds, by the bank's running number."""
        by_account: dict[str, dict[int, str]] = {}
        for account, number, where in self._numbers:
            by_account.setdefault(account, {})[number] = where
        for account, numbers in sorted(by_account.items()):
            ordered = sorted(numbers)
            for before, after in itertools.pairwise(ordered):
                if after > before + 1:
                    missing = (f"{before + 1}" if after == before + 2
                               else f"{before + 1} to {after - 1}")
                    yield self._reject(
                        f"statements of account {account} skip a number: {before} "
                        f"({numbers[before]}) is followed by {after} ({numbers[after]}); "
                        f"statement {missing} is missing: ask the bank for it",
                        {"account": account, "before": before, "after": after},
                        numbers[after], f"gap:{account}:{before}-{after}")

    def _statement(self, stmt: Statement) -> Iterator[tuple[CanonicalRecord, str] | RecordRejected]:
        if stmt.not_booked:
            self._not_booked.append(stmt.not_booked)
        if stmt.sequence is not None and stmt.account and stmt.opening is not None:
            self._numbers.append((stmt.account, stmt.sequence, stmt.location))
        total = Decimal(0)
        quarantined = 0
        for entry in stmt.entries:
            if entry.problem is None:
                try:
                    record = to_record(entry, self.name)
                except ValueError as exc:
                    entry.problem = str(exc).replace("\n", " ")
                else:
                    total += entry.amount
                    yield record, entry.location
                    continue
            quarantined += 1
            yield self._reject(entry.problem, entry.raw, entry.location, entry.key)
        if (stmt.opening is not None and stmt.closing is not None
                and stmt.opening + total != stmt.closing):
            gap = stmt.closing - stmt.opening - total
            note = f" ({quarantined} entries quarantined)" if quarantined else ""
            yield self._reject(
                f"statement {stmt.ident} does not add up: opening balance {stmt.opening} "
                f"+ entries {total} = {stmt.opening + total}, but the closing balance is "
                f"{stmt.closing} {stmt.currency or ''} (difference {gap}){note}",
                stmt.raw, stmt.location, f"statement:{stmt.ident}")

    def _reject(self, reason: str, raw: Mapping[str, Any], location: str,
                external_id: str | None = None) -> RecordRejected:
        return RecordRejected(reason, raw=dict(raw), location=location, entity=ENTITY,
                              external_id=external_id)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").replace("\x00", "")
