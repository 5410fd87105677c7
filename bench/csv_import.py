"""Benchmark: import an N-row invoice CSV into a fresh SQLite store.

    .venv/bin/python bench/csv_import.py [--rows 1000000] [--page-size 5000]
                                         [--keep [DIR]] [--profile FILE] [--stages]

Generates a QuickBooks-style invoice list (the columns of the
``quickbooks-invoices`` preset, one row per invoice), then imports it through
the whole pipeline, exactly as ``billing-hub sync`` does: the config is loaded,
the CSV connector comes from the plugin registry, every row is parsed and
validated into a pydantic ``Invoice``, hashed and upserted by the sync engine
one page (one transaction) at a time. Nothing is skipped.

Prints the import time, rows/s, peak RSS and the ratio of the import time to
the time Python's ``csv`` module alone takes to read the same file in the same
run (the best of three reads), then runs the same sync again and checks that
it reports 0 created, 0 updated and N unchanged. ``--stages`` adds one more
pass that times each stage of the pipeline on its own (``bench/csv_stages.py``).

Targets (issue 2): ratio at most 8, peak RSS under 300 MB at 1M rows.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import platform
import random
import resource
import shutil
import sqlite3
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
from hub.runtime import Hub  # noqa: E402
from hub.store import open_store  # noqa: E402
from hub.sync.engine import SyncEngine  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from csv_stages import measure as measure_stages  # noqa: E402

CUSTOMERS = [f"Customer {i:05d} Ltd." for i in range(5000)]
STATUSES = ["Paid", "Open", "Overdue", "Partial"]
HEADER = ["Date", "No.", "Customer", "Due Date", "Amount", "Open Balance", "Status"]


def _money(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """A QuickBooks Online invoice list: one row per invoice, US dates, 1,234.56 amounts."""
    rnd = random.Random(seed)
    start = date(2024, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            issued = start + timedelta(days=rnd.randrange(900))
            cents = rnd.randrange(1000, 5_000_000)
            status = STATUSES[i % 4]
            open_cents = {"Paid": 0, "Open": cents, "Overdue": cents, "Partial": cents // 2}[
                status]
            w.writerow([
                issued.strftime("%m/%d/%Y"), f"INV-{i + 1:07d}", CUSTOMERS[i % len(CUSTOMERS)],
                (issued + timedelta(days=30)).strftime("%m/%d/%Y"),
                _money(cents), _money(open_cents), status,
            ])


def csv_read_seconds(path: Path) -> float:
    """The baseline: Python's csv module reading every row of the file, nothing else."""
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--keep", type=Path, nargs="?", const=Path("bench-csv-import"),
                        help="work in this folder (default ./bench-csv-import) and keep it")
    parser.add_argument("--profile", type=Path,
                        help="write cProfile statistics of the first import to this file")
    parser.add_argument("--stages", action="store_true",
                        help="afterwards, time each stage of the pipeline on its own")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bh-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "invoices.csv"
        for name in ("store.db", "store.db-wal", "store.db-shm"):
            (work / name).unlink(missing_ok=True)
        print(f"generating {args.rows:,} invoices in {data} ...", flush=True)
        generate(data, args.rows)
        (work / "billing-hub.toml").write_text(CONFIG.format(page_size=args.page_size))
        size_mb = data.stat().st_size / 1e6

        reads = [csv_read_seconds(data) for _ in range(2)]
        config = load_config(work / "billing-hub.toml")
        engine = open_store(config.store_url())
        sync = SyncEngine(Hub(config, load_plugins(), engine))
        rss_before = psutil.Process().memory_info().rss
        profiler = cProfile.Profile() if args.profile else None
        print("importing ...", flush=True)
        with PeakRss() as rss:
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            first = sync.sync("books")
            if profiler is not None:
                profiler.disable()
            elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.dump_stats(args.profile)
        print("importing again ...", flush=True)
        started = time.perf_counter()
        second = sync.sync("books")
        again = time.perf_counter() - started
        engine.dispose()
        reads.append(csv_read_seconds(data))
        baseline = min(reads)

        c1, c2 = first.counts["invoice"], second.counts["invoice"]
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        unchanged_ok = (c2.created, c2.updated, c2.unchanged) == (0, 0, args.rows)
        print()
        print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
              f"page_size {args.page_size}{' (profiled)' if profiler else ''}")
        print(f"rows:            {args.rows:,} ({size_mb:.0f} MB)")
        print(f"csv module read: {baseline:.2f} s (best of {len(reads)}: "
              f"{', '.join(f'{r:.2f}' for r in reads)})")
        print(f"import:          {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s "
              f"({c1.created:,} created, {c1.updated} updated, {c1.quarantined} quarantined)")
        print(f"ratio:           {elapsed / baseline:.1f}x the csv read (target <= 8)")
        print(f"peak RSS:        {rss.peak / 2**20:.0f} MB during the import "
              f"({rss_before / 2**20:.0f} MB before it; ru_maxrss {max_rss:.0f} MB) "
              "(target < 300 MB)")
        print(f"second import:   {again:.2f} s, {args.rows / again:,.0f} rows/s: "
              f"{c2.created} created, {c2.updated} updated, {c2.unchanged:,} unchanged "
              f"({'as expected' if unchanged_ok else 'WRONG: expected 0 / 0 / all'})")
        if args.stages:
            print("timing the stages ...", flush=True)
            stages = measure_stages(work)
            print("\n".join(stages.report(baseline, elapsed, args.rows)))
        if args.keep:
            print(f"kept {work}")
        return 0 if unchanged_ok and c1.created == args.rows else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
