"""Benchmark: import an N-row invoice CSV into a fresh SQLite store.

    .venv/bin/python bench/csv_import.py [--rows 1000000] [--page-size 5000] [--keep DIR]

Prints rows/s, peak RSS and the ratio of the import time to the time
Python's ``csv`` module alone takes to read the same file, measured in the
same run (the baseline), then the time of a second, unchanged import. The
import goes through the whole pipeline: config, plugin registry, the CSV
connector's mapping and validation into pydantic models, content hashing,
and the per-page upsert transactions of the sync engine.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.config import load_config  # noqa: E402
from hub.plugins import load_plugins  # noqa: E402
from hub.store import open_store  # noqa: E402
from hub.sync.engine import SyncEngine  # noqa: E402

CUSTOMERS = [f"Customer {i:05d} Ltd." for i in range(5000)]
STATUSES = ["Paid", "Open", "Overdue", "Partial"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """A QuickBooks-style invoice list: one row per invoice."""
    rnd = random.Random(seed)
    start = date(2024, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "No.", "Customer", "Due Date", "Amount", "Open Balance", "Status"])
        for i in range(rows):
            issued = start + timedelta(days=rnd.randrange(900))
            cents = rnd.randrange(1000, 5_000_000)
            status = STATUSES[i % 4]
            open_cents = {"Paid": 0, "Open": cents, "Overdue": cents, "Partial": cents // 2}[
                status]
            w.writerow([
                issued.strftime("%m/%d/%Y"), f"INV-{i + 1:07d}", CUSTOMERS[i % len(CUSTOMERS)],
                (issued + timedelta(days=30)).strftime("%m/%d/%Y"),
                f"{cents // 100:,}.{cents % 100:02d}",
                f"{open_cents // 100:,}.{open_cents % 100:02d}",
                status,
            ])


def csv_read_seconds(path: Path) -> float:
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh:
        for _row in csv.reader(fh):
            pass
    return time.perf_counter() - started


class PeakRss:
    """Samples this process's resident memory while the import runs."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


CONFIG = """\
[store]
url = "sqlite:///store.db"

[connectors.books]
type = "csv"
page_size = {page_size}

[[connectors.books.files]]
path = "invoices.csv"
preset = "quickbooks-invoices"
defaults = {{ currency = "USD" }}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bh-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "invoices.csv"
        (work / "store.db").unlink(missing_ok=True)
        print(f"generating {args.rows:,} invoices ...", flush=True)
        generate(data, args.rows)
        (work / "billing-hub.toml").write_text(CONFIG.format(page_size=args.page_size))
        size_mb = data.stat().st_size / 1e6

        baseline = min(csv_read_seconds(data) for _ in range(2))
        config = load_config(work / "billing-hub.toml")
        engine = open_store(config.store_url())
        sync = SyncEngine(engine, load_plugins(), config)
        rss_before = psutil.Process().memory_info().rss
        with PeakRss() as rss:
            started = time.perf_counter()
            first = sync.sync("books")
            elapsed = time.perf_counter() - started
        started = time.perf_counter()
        second = sync.sync("books")
        again = time.perf_counter() - started
        engine.dispose()

        c1, c2 = first.counts["invoice"], second.counts["invoice"]
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"file:            {args.rows:,} rows, {size_mb:.0f} MB")
        print(f"csv module read: {baseline:.2f} s (baseline)")
        print(f"import:          {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s "
              f"({c1.created:,} created, {c1.quarantined} quarantined)")
        print(f"ratio:           {elapsed / baseline:.1f}x the csv read (target <= 8)")
        print(f"peak RSS:        {rss.peak / 2**20:.0f} MB during the import "
              f"({rss_before / 2**20:.0f} MB before it; ru_maxrss {max_rss:.0f} MB) "
              "(target < 300 MB)")
        print(f"second import:   {again:.2f} s, {second.counts['invoice'].unchanged:,} unchanged,"
              f" {c2.created} created, {c2.updated} updated "
              f"({again / baseline:.1f}x the csv read)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
