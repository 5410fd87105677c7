"""Writing canonical records (reading them back: :mod:`hub.store.stored`).

:func:`prepare` turns a validated record into the row the store keeps (the
canonical JSON, the raw payload, a content hash over both and the columns the
reconciler filters on). :func:`upsert` writes a page of them: new records are
inserted, records whose hash changed are updated, the rest cost one lookup. Each new
state is copied into the history in the same transaction (:mod:`hub.store.history`);
a record whose state is unchanged but whose location moved (a CSV row on another
line) gets its new location and no new state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.contract.outcomes import EntityCounts
from hub.errors import StoreError
from hub.models import (
    BankTransaction,
    CanonicalRecord,
    CreditNote,
    Customer,
    Dispute,
    Invoice,
    Payment,
    Payout,
    Refund,
)
from hub.money import to_minor_units
from hub.store import history
from hub.store.schema import quarantine, records

LOOKUP_CHUNK = 500


_COPIED = (
    "content_hash", "data", "raw", "location", "number", "party", "customer_ref", "currency",
    "amount_minor", "open_minor", "status", "doc_date", "due_date", "source_modified",
)
"""The columns :func:`prepare` fills, in the order of :attr:`PreparedRecord.values`."""


@dataclass(slots=True)
class PreparedRecord:
    """A record serialised for the store: its id, its hash and the column values."""

    external_id: str
    content_hash: str
    values: tuple[Any, ...]
    """The values of ``_COPIED``, in that order (plain Python values, not yet bound)."""

    def __getattr__(self, name: str) -> Any:  # data, raw, number ... by column name
        try:
            return self.values[_COPIED.index(name)]
        except ValueError:
            raise AttributeError(name) from None


def _minor(value: Decimal | None, currency: str) -> int | None:
    return None if value is None else to_minor_units(value, currency)


# The filter columns each kind of record fills:
# (number, party, customer_ref, currency, amount_minor, open_minor, status, doc_date, due_date)
_Columns = tuple[Any, ...]
_NO_COLUMNS: _Columns = (None,) * 9


def _invoice_columns(r: Any) -> _Columns:
    cur = r.currency
    return (r.number, r.customer_name, r.customer_ref, cur, _minor(r.total, cur),
            _minor(r.balance, cur), r.status.value, r.issue_date, r.due_date)


def _payment_columns(r: Any) -> _Columns:
    cur = r.currency
    return (r.reference, r.payer_name, r.customer_ref, cur, _minor(r.amount, cur),
            _minor(r.unapplied, cur), r.status, r.received_date, None)


def _bank_columns(r: Any) -> _Columns:
    return (r.reference, r.counterparty, None, r.currency, _minor(r.amount, r.currency),
            None, None, r.booked_date, None)


def _refund_columns(r: Any) -> _Columns:
    return (r.reference, None, r.customer_ref, r.currency, _minor(r.amount, r.currency),
            None, r.status, r.refunded_date, None)


def _credit_note_columns(r: Any) -> _Columns:
    return (r.number, None, r.customer_ref, r.currency, _minor(r.total, r.currency),
            None, r.status, r.issue_date, None)


def _payout_columns(r: Any) -> _Columns:
    return (r.statement_descriptor, None, None, r.currency, _minor(r.amount, r.currency),
            None, r.status, r.arrival_date, None)


def _customer_columns(r: Any) -> _Columns:
    return (None, r.name, None, r.currency, None, None, None, None, None)


def _dispute_columns(r: Any) -> _Columns:
    amount = _minor(r.amount, r.currency) if r.currency else None
    return (r.charge_ref, None, r.customer_ref, r.currency, amount, None, r.status.value,
            r.opened_at.date(), r.evidence_due)


_COLUMNS_OF: tuple[tuple[type[CanonicalRecord], Callable[[Any], _Columns]], ...] = (
    (Invoice, _invoice_columns), (Payment, _payment_columns),
    (BankTransaction, _bank_columns), (Customer, _customer_columns),
    (Refund, _refund_columns), (CreditNote, _credit_note_columns), (Payout, _payout_columns),
    (Dispute, _dispute_columns),
)
_COLUMNS_CACHE: dict[type, Callable[[Any], _Columns]] = {}


def _columns_of(kind: type) -> Callable[[Any], _Columns]:
    found = _COLUMNS_CACHE.get(kind)
    if found is None:
        found = next((f for model, f in _COLUMNS_OF if issubclass(kind, model)),
                     lambda _r: _NO_COLUMNS)
        _COLUMNS_CACHE[kind] = found
    return found


_NOT_DATA = {"raw"}


def prepare(record: CanonicalRecord, location: str | None = None) -> PreparedRecord:
    """Serialise ``record``; the hash covers the canonical data and the raw payload.

    ``data`` is exactly ``record.model_dump_json(exclude={"raw"})``.
    """
    data = record.__pydantic_serializer__.to_json(record, exclude=_NOT_DATA)
    raw = orjson.dumps(record.raw, option=orjson.OPT_SORT_KEYS, default=str)
    digest = hashlib.blake2b(data, digest_size=16)
    digest.update(b"\x00")
    digest.update(raw)
    content_hash = digest.hexdigest()
    modified = record.source_modified
    if modified is not None and modified.tzinfo is not None:
        modified = modified.astimezone(UTC)  # the store keeps times in UTC (SQLite drops offsets)
    return PreparedRecord(
        record.external_id, content_hash,
        (content_hash, data.decode(), raw.decode(), location,
         *_columns_of(type(record))(record), modified),
    )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_Known = tuple[str, int, str, Any, int | None, str | None]
"""(external_id, id, content_hash, deleted_at, last_run_id, location) of a stored record."""


def _existing(
    conn: Connection, source: str, entity: str, external_ids: Sequence[str]
) -> dict[str, _Known]:
    """What the store already holds for these ids (one query per chunk, through the driver)."""
    found: dict[str, _Known] = {}
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for chunk in _chunks(external_ids, LOOKUP_CHUNK):
            cursor.execute(
                "SELECT external_id, id, content_hash, deleted_at, last_run_id, location "
                f"FROM records WHERE source = {mark} AND entity = {mark} "
                f"AND external_id IN ({', '.join([mark] * len(chunk))})",
                (source, entity, *chunk),
            )
            for row in cursor.fetchall():
                found[row[0]] = row
    finally:
        cursor.close()
    return found


@dataclass(slots=True)
class UpsertResult:
    """The counts of one page, and the ids this run had already stored (repeats)."""

    counts: EntityCounts
    repeated: list[str]


def _writer(conn: Connection) -> _Writer:
    dialect = conn.dialect
    cached = _WRITERS.get(dialect.name)
    if cached is None:
        cached = _WRITERS[dialect.name] = _Writer(dialect)
    return cached


class _Writer:
    """Plain SQL for the page writes, run through the driver's ``executemany``.

    A page is written with one statement per kind of change and tuples of
    already-converted values: SQLAlchemy's per-row parameter processing would
    cost more than the database's own work. Values are converted with the
    column types' own bind processors, so the rows read back exactly as
    SQLAlchemy would have written them. On PostgreSQL (psycopg 3) new rows go
    in with ``COPY``, the bulk-load path, inside the same transaction; the
    records a page found unchanged are marked seen by one statement per chunk.
    """

    TAIL_INSERT = ("source", "entity", "external_id", "first_seen_at", "updated_at",
                   "last_run_id")
    TAIL_UPDATE = ("updated_at", "last_run_id", "deleted_at")

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        insert_cols = (*_COPIED, *self.TAIL_INSERT)
        self.insert_sql = (
            f"INSERT INTO records ({', '.join(insert_cols)}) "
            f"VALUES ({', '.join([mark] * len(insert_cols))})"
        )
        sets = ", ".join(f"{c} = {mark}" for c in (*_COPIED, *self.TAIL_UPDATE))
        self.update_sql = f"UPDATE records SET {sets} WHERE id = {mark}"
        self.mark = mark
        self.copy_sql = (f"COPY records ({', '.join(insert_cols)}) FROM STDIN"
                         if dialect.name == "postgresql" else None)
        self.converters = [(i, _remembering(p)) for i, name in enumerate(_COPIED)
                           if (p := self.processor(name)) is not None]

    def processor(self, name: str) -> Callable[[Any], Any] | None:
        col = records.c[name]
        proc: Callable[[Any], Any] | None = col.type.dialect_impl(self.dialect).bind_processor(
            self.dialect)
        return proc

    def convert(self, name: str, value: Any) -> Any:
        proc = self.processor(name)
        return value if value is None or proc is None else proc(value)

    def copied(self, prepared: PreparedRecord) -> Sequence[Any]:
        """The prepared values, bound for this dialect."""
        if not self.converters:
            return prepared.values
        values = list(prepared.values)
        for i, proc in self.converters:
            if values[i] is not None:
                values[i] = proc(values[i])
        return values


def _remembering(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``proc`` remembering what it made of plain dates, which repeat (SQLite binds them as text).

    Only ``date`` values: two equal aware datetimes may still differ in offset.
    """
    memory: dict[date, Any] = {}

    def bound(value: Any) -> Any:
        if type(value) is not date:
            return proc(value)
        out = memory.get(value)
        if out is None:
            out = proc(value)
            if len(memory) >= 4096:
                memory.clear()
            memory[value] = out
        return out

    return bound


_WRITERS: dict[str, _Writer] = {}


def _executemany(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _insert(conn: Connection, writer: _Writer, rows: list[tuple[Any, ...]]) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if writer.copy_sql is not None and hasattr(cursor, "copy"):  # psycopg 3
            with cursor.copy(writer.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(writer.insert_sql, rows)
    finally:
        cursor.close()


def _mark_seen(conn: Connection, writer: _Writer, run_id: int, ids: list[int]) -> None:
    """Set ``last_run_id`` on unchanged records: one statement per chunk of ids."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    mark = writer.mark
    try:
        for chunk in _chunks(ids, LOOKUP_CHUNK):
            cursor.execute(
                f"UPDATE records SET last_run_id = {mark} "
                f"WHERE id IN ({', '.join([mark] * len(chunk))})",
                (run_id, *chunk),
            )
    finally:
        cursor.close()


class RecordRefused(StoreError):
    """The store refused to write a page for what one of its records holds (a value too
    long for its column, a character or a number it cannot keep). The page's
    transaction is lost; write the records one by one (:func:`upsert_each`) to find it."""


MAX_REFUSAL = 200
"""Characters of the database's message kept as the reason of a refused record."""


def refusal(exc: BaseException) -> str | None:
    """The database's short message when ``exc`` is the store refusing the data written
    (not a lost connection or a lock), else ``None``."""
    orig = exc.orig if isinstance(exc, sa.exc.StatementError) else exc
    if orig is None or not isinstance(orig, _DATA_ERRORS) or _unique_race(orig):
        return None
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return first.replace("\x00", "\\x00")[:MAX_REFUSAL]


def _unique_race(orig: BaseException) -> bool:
    """A unique key another process wrote first: a race to retry, not the record's data
    (duplicates within one page are set apart before the write)."""
    if getattr(orig, "sqlstate", None) == "23505":  # psycopg: unique_violation
        return True
    return "UNIQUE constraint failed" in str(orig)  # sqlite3


def _dbapi_data_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for module in ("sqlite3", "psycopg"):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        found += [mod.DataError, mod.IntegrityError]
    return tuple(found)


_DATA_ERRORS = (OverflowError, UnicodeEncodeError, *_dbapi_data_errors())
"""What a driver raises for the data itself: a number it cannot bind (SQLite's
``OverflowError``), text it cannot encode, a value the database refuses."""


def _open_transaction(conn: Connection) -> None:
    """Make sure the database transaction has begun before a savepoint is taken.

    Python's sqlite3 begins its transaction at the first write, not at
    ``BEGIN``: a savepoint taken before that would start a transaction of its
    own, which its release commits. A write that changes nothing begins it.
    """
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite" and not getattr(driver, "in_transaction", True):
        conn.exec_driver_sql("UPDATE records SET id = id WHERE 0")


def upsert_each(
    conn: Connection,
    source: str,
    entity: str,
    rows: Sequence[PreparedRecord],
    *,
    run_id: int | None,
    now: datetime,
) -> tuple[UpsertResult, list[tuple[PreparedRecord, str]]]:
    """:func:`upsert` one record at a time, each in a savepoint of its own: the records the
    store refuses are returned with the database's reason, the others are written."""
    total = UpsertResult(EntityCounts(), [])
    refused: list[tuple[PreparedRecord, str]] = []
    _open_transaction(conn)
    for row in rows:
        try:
            with conn.begin_nested():
                result = upsert(conn, source, entity, [row], run_id=run_id, now=now)
        except RecordRefused as exc:
            refused.append((row, exc.message))
            continue
        total.counts.add(result.counts)
        total.repeated += result.repeated
    return total, refused


def upsert(
    conn: Connection,
    source: str,
    entity: str,
    rows: Sequence[PreparedRecord],
    *,
    run_id: int | None,
    now: datetime,
) -> UpsertResult:
    """Insert new rows, update changed ones, mark unchanged ones as seen by this run.

    A row whose id this same run already stored is not written: it is returned
    in ``repeated`` so the caller quarantines it (a source that gives one id
    twice in one pull has a problem a person should see; silently keeping the
    last one would lose the first).

    Raises :class:`RecordRefused` when the database refuses what a record
    holds; the transaction is then lost (roll it back).
    """
    try:
        return _upsert(conn, source, entity, rows, run_id=run_id, now=now)
    except Exception as exc:
        reason = refusal(exc)
        if reason is None:
            raise
        raise RecordRefused(reason) from exc


def _upsert(
    conn: Connection,
    source: str,
    entity: str,
    rows: Sequence[PreparedRecord],
    *,
    run_id: int | None,
    now: datetime,
) -> UpsertResult:
    counts = EntityCounts()
    repeated: list[str] = []
    if not rows:
        return UpsertResult(counts, repeated)
    writer = _writer(conn)
    known = _existing(conn, source, entity, [r.external_id for r in rows])
    stamp = writer.convert("updated_at", now)
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    touched: list[int] = []
    moved: list[tuple[Any, ...]] = []
    changed: list[int] = []
    restored: list[int] = []
    for row in rows:
        prior = known.get(row.external_id)
        if prior is None:
            inserts.append((*writer.copied(row), source, entity, row.external_id, stamp, stamp,
                            run_id))
        elif run_id is not None and prior[4] == run_id:
            repeated.append(row.external_id)
        elif prior[2] != row.content_hash or prior[3] is not None:  # changed, or deleted
            updates.append((*writer.copied(row), stamp, run_id, None, prior[1]))
            (changed if prior[3] is None else restored).append(prior[1])
        else:
            touched.append(prior[1])
            if row.location is not None and row.location != prior[5]:  # same state, moved
                moved.append((row.location, prior[1]))
    counts.unchanged = len(touched)
    if inserts:
        _insert(conn, writer, inserts)
        counts.created = len(inserts)
        history.keep_by_external_ids(conn, source, entity, [r[-4] for r in inserts],
                                     history.CREATED, now=now, run_id=run_id)
    if updates:
        _executemany(conn, writer.update_sql, updates)
        counts.updated = len(updates)
        history.keep_by_ids(conn, changed, history.CHANGED, now=now, run_id=run_id)
        history.keep_by_ids(conn, restored, history.RESTORED, now=now, run_id=run_id)
    if moved:
        _executemany(conn, f"UPDATE records SET location = {writer.mark} "
                           f"WHERE id = {writer.mark}", moved)
    if touched and run_id is not None:
        _mark_seen(conn, writer, run_id, touched)
    return UpsertResult(counts, repeated)


def mark_deleted(
    conn: Connection, source: str, entity: str, external_ids: Sequence[str], *, now: datetime,
) -> int:
    """Mark these records deleted by their source (kept, with the time); returns how many
    were not marked already. Ids the store never held are ignored.

    ``last_run_id`` is left as it was: it means "given by this run", and a record
    given again later in the same run must be revived, not taken for a repeat.
    """
    marked = 0
    for chunk in _chunks(list(dict.fromkeys(external_ids)), LOOKUP_CHUNK):
        ids = list(conn.execute(
            sa.select(records.c.id)
            .where(records.c.source == source, records.c.entity == entity,
                   records.c.external_id.in_(chunk), records.c.deleted_at.is_(None))).scalars())
        marked += _delete_ids(conn, ids, now=now, run_id=None)
    return marked


def _delete_ids(conn: Connection, ids: Sequence[int], *, now: datetime,
                run_id: int | None) -> int:
    """Mark these records deleted and keep that in their history; returns how many."""
    for chunk in _chunks(ids, LOOKUP_CHUNK):
        conn.execute(records.update().where(records.c.id.in_(chunk))
                     .values(deleted_at=now, updated_at=now))
    history.keep_by_ids(conn, ids, history.DELETED, now=now, run_id=run_id)
    return len(ids)


def _absent(source: str, entity: str, run_id: int) -> Any:
    kept = sa.select(quarantine.c.external_id).where(
        quarantine.c.source == source, quarantine.c.entity == entity,
        quarantine.c.run_id == run_id, quarantine.c.external_id.is_not(None))
    return sa.and_(records.c.source == source, records.c.entity == entity,
                   records.c.deleted_at.is_(None),
                   sa.or_(records.c.last_run_id.is_(None), records.c.last_run_id != run_id),
                   records.c.external_id.not_in(kept))


def count_absent(conn: Connection, source: str, entity: str, *, run_id: int) -> int:
    """How many live records :func:`mark_absent` would mark deleted."""
    stmt = sa.select(sa.func.count()).select_from(records).where(
        _absent(source, entity, run_id))
    return int(conn.execute(stmt).scalar_one())


def count_live(conn: Connection, source: str, entity: str) -> int:
    """How many live records ``source`` holds of ``entity``."""
    stmt = sa.select(sa.func.count()).select_from(records).where(
        records.c.source == source, records.c.entity == entity,
        records.c.deleted_at.is_(None))
    return int(conn.execute(stmt).scalar_one())


def mark_absent(
    conn: Connection, source: str, entity: str, *, run_id: int, now: datetime,
) -> int:
    """Mark deleted the live records of ``source`` and ``entity`` that run ``run_id`` did not
    give, when that run's pull gave everything the source holds; returns how many.

    A record whose id the same run quarantined is kept: its source still has it, in a
    form the hub could not take, and the last good version stands until it is fixed.
    """
    ids = list(conn.execute(sa.select(records.c.id).where(_absent(source, entity, run_id)))
               .scalars())
    return _delete_ids(conn, ids, now=now, run_id=run_id)


def statistics_kept(conn: Connection) -> bool:
    """Whether the database plans queries from statistics worth refreshing after a bulk
    load (PostgreSQL; SQLite's are left alone)."""
    return conn.dialect.name == "postgresql"


def refresh_statistics(conn: Connection) -> None:
    """Refresh the planner's statistics of the records table (``ANALYZE records``)."""
    conn.execute(sa.text("ANALYZE records"))
