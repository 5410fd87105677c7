"""A ledger that takes payment applications, for tests of what the hub does around them.

The ``csv-ledger`` connector type reads the same files as ``csv`` and also
declares ``apply_payments`` on invoices: what it is sent it writes, one JSON
line per change, to ``applied.jsonl`` beside the config. It is installed the
way any third-party plugin is, through a ``billing_hub`` entry point of a
distribution on ``sys.path`` (:func:`install`), so the CLI finds it as it
finds the built-in ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
import pytest

from hub import (
    ConnectorSpec,
    EntitySupport,
    PushChange,
    PushResult,
    PushStatus,
    hookimpl,
)
from plugins.csv.connector import CsvConnector
from plugins.csv.plugin import hub_connectors as csv_connectors

LOG = "applied.jsonl"


class LedgerConnector(CsvConnector):
    """The CSV connector, plus a ledger file that records the applications it is sent."""

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        path = Path(self.context.base_dir) / LOG
        with path.open("ab") as log:
            for change in changes:
                app = change.application
                assert app is not None
                log.write(orjson.dumps({
                    "operation": change.operation.value, "invoice": change.target_id,
                    "amount": str(app.amount), "currency": app.currency,
                    "receipt": app.receipt, "key": change.idempotency_key}) + b"\n")
        return [PushResult(c.idempotency_key, PushStatus.UPDATED) for c in changes]


@hookimpl
def hub_connectors() -> Iterator[ConnectorSpec]:
    """Offer ``csv-ledger``."""
    (spec,) = csv_connectors()
    yield dataclasses.replace(
        spec, name="csv-ledger", description="CSV files, and a ledger that applies payments",
        entities=tuple(EntitySupport(e.entity, pull=True, apply_payments=e.entity == "invoice")
                       for e in spec.entities),
        factory=LedgerConnector)


def install(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``csv-ledger`` an installed plugin for the rest of the test."""
    dist = site / "bh_test_ledger-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bh-test-ledger\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[billing_hub]\ncsv_ledger = tests.support.ledger\n")
    monkeypatch.syspath_prepend(str(site))


def applied(folder: Path) -> list[dict[str, str]]:
    """What the ledger in ``folder`` was sent, in order."""
    path = folder / LOG
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]
