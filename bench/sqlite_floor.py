"""The floor of the CSV import on SQLite: inserting already-prepared rows, nothing else.

    .venv/bin/python bench/sqlite_floor.py [--rows 1000000] [--page-size 5000]

Builds N rows of exactly the shape the import writes (the canonical JSON, the
raw row, the hash, the filter columns, the store's bound values), all in
memory first, then times only writing them into a fresh, migrated store (the
records table with its unique key and indexes, the store's own connection
settings), one transaction per page, with the same ``executemany`` the import
uses; then the same with the page's id lookup the import does before it
writes. Then, for scale, the same rows' id, hash, canonical JSON and raw
payload alone into a stripped table (those columns and the unique key, nothing
the reconciler reads, no other index), through plain ``sqlite3``: what any
store keeping each record's JSON and raw payload costs. Prints the seconds and
the ratio to the csv module reading the benchmark's file: what the whole
import cannot beat.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from csv_import import csv_read_seconds, generate  # noqa: E402

from hub.models import Invoice  # noqa: E402
from hub.store import open_store  # noqa: E402
from hub.store import records as rec  # noqa: E402
from hub.store.clock import utcnow  # noqa: E402


def rows(n: int) -> list[rec.PreparedRecord]:
    start = date(2024, 1, 1)
    out = []
    for i in range(n):
        issued = start + timedelta(days=i % 900)
        cents = 1000 + (i * 7919) % 4_999_000
        number = f"INV-{i + 1:07d}"
        total = Decimal(cents).scaleb(-2)
        raw = {"Date": issued.strftime("%m/%d/%Y"), "No.": number,
               "Customer": f"Customer {i % 5000:05d} Ltd.",
               "Due Date": (issued + timedelta(days=30)).strftime("%m/%d/%Y"),
               "Amount": f"{total:,}", "Open Balance": f"{total:,}", "Status": "Open"}
        inv = Invoice.model_validate({
            "source": "books", "external_id": number, "number": number,
            "customer_name": raw["Customer"], "issue_date": issued,
            "due_date": issued + timedelta(days=30), "currency": "USD", "total": total,
            "balance": total, "amount_paid": Decimal("0.00"), "status": "open", "raw": raw})
        out.append(rec.prepare(inv, f"invoices.csv:{i + 2}"))
    return out


def write(url: str, prepared: list[rec.PreparedRecord], page: int, lookup: bool) -> float:
    engine = open_store(url)
    try:
        started = time.perf_counter()
        for at in range(0, len(prepared), page):
            chunk = prepared[at:at + page]
            with engine.begin() as conn:
                if lookup:
                    rec.upsert(conn, "books", "invoice", chunk, run_id=None, now=utcnow())
                else:
                    writer = rec._writer(conn)
                    stamp = writer.convert("updated_at", utcnow())
                    rec._insert(conn, writer, [
                        (*writer.copied(r), "books", "invoice", r.external_id, stamp, stamp,
                         None) for r in chunk])
        return time.perf_counter() - started
    finally:
        engine.dispose()


STRIPPED = (
    "CREATE TABLE records (id INTEGER PRIMARY KEY, source TEXT NOT NULL, entity TEXT NOT NULL, "
    "external_id TEXT NOT NULL, content_hash TEXT NOT NULL, data TEXT NOT NULL, raw TEXT NOT NULL, "
    "UNIQUE (source, entity, external_id))"
)


def write_stripped(path: Path, prepared: list[rec.PreparedRecord], page: int) -> float:
    """Only identity, hash, JSON and raw, into :data:`STRIPPED` (WAL, synchronous=NORMAL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(STRIPPED)
        sql = ("INSERT INTO records (source, entity, external_id, content_hash, data, raw) "
               "VALUES (?, ?, ?, ?, ?, ?)")
        values = [("books", "invoice", r.external_id, r.content_hash, r.data, r.raw)
                  for r in prepared]
        started = time.perf_counter()
        for at in range(0, len(values), page):
            conn.execute("BEGIN")
            conn.executemany(sql, values[at:at + page])
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=5000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bh-floor-"))
    try:
        data = work / "invoices.csv"
        generate(data, args.rows)
        baseline = min(csv_read_seconds(data) for _ in range(3))
        print(f"preparing {args.rows:,} rows in memory ...", flush=True)
        prepared = rows(args.rows)
        for lookup in (False, True):
            db = work / f"floor-{lookup}.db"
            secs = write(f"sqlite:///{db}", prepared, args.page_size, lookup)
            what = "id lookup + insert (upsert)" if lookup else "insert only"
            print(f"{what:<28} {secs:6.2f} s  {secs / args.rows * 1e6:5.1f} µs/row  "
                  f"{secs / baseline:5.1f}x the csv read ({baseline:.2f} s)")
        secs = write_stripped(work / "stripped.db", prepared, args.page_size)
        what = "stripped table, insert"
        print(f"{what:<28} {secs:6.2f} s  {secs / args.rows * 1e6:5.1f} µs/row  "
              f"{secs / baseline:5.1f}x the csv read ({baseline:.2f} s)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
