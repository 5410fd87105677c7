"""What the history of records' states costs: bytes per record per change, and write time.

    .venv/bin/python bench/history.py [--rows 20000] [--page-size 2000] [--pg URL]

Writes N invoices into a fresh, migrated store page by page as a sync does
(:func:`hub.store.records.upsert`), writes them again unchanged, then writes a
change of every one (each paid in full). Prints, per store:

- the bytes of the records table (with its indexes) per record after the first
  write: the baseline;
- the bytes of ``record_history`` (with its indexes) per history row, that is per
  record per change, and its ratio to the baseline;
- the seconds of the first write, the unchanged re-write (which adds no history:
  checked) and the changing write;
- the seconds to load the reconciler's snapshot from the live records, and as of now
  from the history (the same invoices: checked), the baseline of ``--as-of``.

SQLite sizes come from ``dbstat``; PostgreSQL's from ``pg_total_relation_size``
after ``VACUUM ANALYZE`` (a schema of its own, dropped afterwards). ``--pg``
defaults to ``BILLING_HUB_TEST_DATABASE_URL``; without either, SQLite only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import orjson
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlite_floor import rows  # noqa: E402

from hub.models import Invoice  # noqa: E402
from hub.reconcile.snapshot import load  # noqa: E402
from hub.store import open_store  # noqa: E402
from hub.store import records as rec  # noqa: E402
from hub.store.clock import utcnow  # noqa: E402

HISTORY_PARTS = ("record_history", "ix_record_history_record", "ix_record_history_learned")
RECORD_PARTS = ("records", "ix_records_entity_number", "ix_records_entity_customer",
                "uq_records_source_entity_external_id")


def paid(prepared: list[rec.PreparedRecord]) -> list[rec.PreparedRecord]:
    """The same invoices, each paid in full (a new state for every one)."""
    out = []
    for p in prepared:
        data = orjson.loads(p.data)
        data.update(balance="0.00", amount_paid=data["total"], status="paid",
                    raw={**orjson.loads(p.raw), "Open Balance": "0.00", "Status": "Paid"})
        out.append(rec.prepare(Invoice.model_validate(data), p.location))
    return out


def write(engine: sa.Engine, prepared: list[rec.PreparedRecord], page: int) -> float:
    """Write ``prepared`` page by page; the planner's statistics refreshed after each
    page on PostgreSQL, as the sync engine does while a table grows."""
    started = time.perf_counter()
    for at in range(0, len(prepared), page):
        with engine.begin() as conn:
            rec.upsert(conn, "books", "invoice", prepared[at:at + page], run_id=None,
                       now=utcnow())
            if rec.statistics_kept(conn):
                rec.refresh_statistics(conn)
    return time.perf_counter() - started


def history_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM record_history")).scalar_one())


def sizes(engine: sa.Engine) -> tuple[int, int]:
    """(bytes of the records table and its indexes, bytes of the history and its indexes)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found: dict[str, int] = dict(conn.execute(sa.text(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all())
            auto = sum(v for k, v in found.items() if k.startswith("sqlite_autoindex_records"))
            return (sum(found.get(n, 0) for n in RECORD_PARTS) + auto,
                    sum(found.get(n, 0) for n in HISTORY_PARTS))
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE records, record_history")
        return (int(conn.execute(sa.text("SELECT pg_total_relation_size('records')"))
                    .scalar_one()),
                int(conn.execute(sa.text("SELECT pg_total_relation_size('record_history')"))
                    .scalar_one()))


def reading_seconds(engine: sa.Engine) -> tuple[float, float]:
    """Seconds to load the reconciler's snapshot live, and as of now from the history
    (the same records: checked)."""
    with engine.connect() as conn:
        started = time.perf_counter()
        live = load(conn)
        t_live = time.perf_counter() - started
        started = time.perf_counter()
        then = load(conn, as_of=utcnow())
        t_as_of = time.perf_counter() - started
    if list(live.invoices) != list(then.invoices):
        raise SystemExit("the snapshot as of now differs from the live one")
    return t_live, t_as_of


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    schema = f"bh_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def run(label: str, url: str, first: list[rec.PreparedRecord],
        second: list[rec.PreparedRecord], page: int) -> None:
    engine = open_store(url)
    try:
        t_first = write(engine, first, page)
        created = history_rows(engine)
        records_bytes = sizes(engine)[0]  # before any update leaves dead rows behind
        t_same = write(engine, first, page)
        if history_rows(engine) != created:
            raise SystemExit("an unchanged re-write added history rows")
        t_change = write(engine, second, page)
        states = history_rows(engine)
        history_bytes = sizes(engine)[1]
        t_live, t_as_of = reading_seconds(engine)
    finally:
        engine.dispose()
    n = len(first)
    per_record = Decimal(records_bytes) / n
    per_change = Decimal(history_bytes) / states
    print(f"{label}: {n} records, {states} history rows ({created} created + "
          f"{states - created} changed)")
    print(f"  records table + indexes: {per_record:.0f} bytes per record (baseline)")
    print(f"  record_history + indexes: {per_change:.0f} bytes per record per change "
          f"({per_change / per_record:.2f}x the baseline)")
    print(f"  write {t_first:.2f}s, unchanged re-write {t_same:.2f}s (no history), "
          f"changing write {t_change:.2f}s ({t_change / t_first:.2f}x the first)")
    print(f"  reading the snapshot: live {t_live:.2f}s, as of now from the history "
          f"{t_as_of:.2f}s ({t_as_of / t_live:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=2000)
    parser.add_argument("--pg", default=os.environ.get("BILLING_HUB_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    first = rows(args.rows)
    second = paid(first)
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{folder}/bench.db", first, second, args.page_size)
    if args.pg:
        with pg_schema(args.pg) as url:
            run("PostgreSQL", url, first, second, args.page_size)


if __name__ == "__main__":
    main()
