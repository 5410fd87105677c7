"""Where a CSV import's time goes: each stage of the pipeline timed on its own.

Used by ``bench/csv_import.py --stages``. One more pass over the benchmark's
file, into a store of its own, with a timer around each stage:

- ``pull``: the CSV connector's pages (read, map, validate), as the engine gets them;
- ``validate``: of which, validating the pulled records' values once more
  (the pydantic model with the hub's own rules, from the fields the mapper
  set), measured on its own;
- ``prepare``: serialising each record to JSON, hashing it and working out
  its filter columns;
- ``write``: one transaction per page writing the prepared rows.

The import's time minus the sum of pull, prepare and write is the sync
engine's own bookkeeping (runs, cursors, quarantine checks, progress).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.config import load_config
from hub.contract.page import Page
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store import open_store
from hub.store import records as store_records
from hub.store.clock import utcnow
from hub.sync.engine import collector_on_new_objects_only


@dataclass
class Stages:
    """Seconds spent in each stage, and the rows they covered."""

    rows: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("pull", "validate", "prepare", "write"), 0.0))

    def report(self, baseline: float, whole: float, total_rows: int) -> list[str]:
        """Lines for the benchmark's output; ``baseline`` is the csv read of ``total_rows``."""
        per_row_csv = baseline / total_rows
        lines = [f"stages (one more pass over {self.rows:,} rows, µs per row and x the csv read):"]
        for name, secs in self.seconds.items():
            per_row = secs / self.rows
            indent = "  of which " if name == "validate" else ""
            lines.append(f"  {indent}{name:<9} {per_row * 1e6:6.1f} µs "
                         f"{per_row / per_row_csv:6.1f}x")
        engine = whole / total_rows - sum(
            s for n, s in self.seconds.items() if n != "validate") / self.rows
        lines.append(f"  engine    {engine * 1e6:6.1f} µs  {engine / per_row_csv:6.1f}x "
                     "(the import's time per row minus pull, prepare and write)")
        return lines


def _timed(stages: Stages, name: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    stages.seconds[name] += time.perf_counter() - started
    return result


def measure(work: Path) -> Stages:
    """Run the stages over ``work``/invoices.csv with the benchmark's config, into stages.db."""
    config = load_config(work / "billing-hub.toml")
    connector = Hub(config, load_plugins(), sa.create_engine("sqlite://")).connector(
        "books", vault=False)
    store_path = work / "stages.db"
    store_path.unlink(missing_ok=True)
    engine = open_store(f"sqlite:///{store_path}")
    stages = Stages()
    pages = iter(connector.pull("invoice", None))
    with collector_on_new_objects_only():  # as during a sync
        _run(stages, pages, engine)
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    return stages


def _run(stages: Stages, pages: Iterator[Page], engine: Engine) -> None:
    while True:
        page = _timed(stages, "pull", lambda: next(pages, None))
        if page is None:
            break
        recs = page.records
        stages.rows += len(recs)
        inputs = [(type(r), r.model_dump(exclude_unset=True)) for r in recs]  # as mapped
        _timed(stages, "validate", lambda inputs=inputs: [
            model.model_validate(values) for model, values in inputs])
        where = page.locations
        prepared = _timed(stages, "prepare", lambda recs=recs, where=where: [
            store_records.prepare(r, where.get(r.external_id)) for r in recs])

        def write(prepared: list[store_records.PreparedRecord] = prepared) -> None:
            with engine.begin() as conn:
                store_records.upsert(conn, "books", "invoice", prepared, run_id=None,
                                     now=utcnow())

        _timed(stages, "write", write)
