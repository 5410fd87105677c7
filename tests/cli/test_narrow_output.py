"""Piped at 80 columns, tables keep every column and every digit, and text stays readable."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.hub import CLI


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company, imported once for this module's read-only commands."""
    folder = tmp_path_factory.mktemp("narrow")
    subprocess.run([sys.executable, "-c", CLI, "demo", "--no-progress"], cwd=folder,
                   capture_output=True, check=True)
    return folder / "billing-hub-demo" / "billing-hub.toml"


def piped(config: Path, *args: str, columns: int = 80) -> str:
    """``billing-hub --config CONFIG ARGS`` in a child process whose output is a pipe."""
    done = subprocess.run([sys.executable, "-c", CLI, "--config", str(config), *args],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "COLUMNS": str(columns)})
    return done.stdout


def _fits(text: str) -> None:
    assert text.strip()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # nothing truncated


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_metrics_keep_every_figure_at_80_columns(demo: Path) -> None:
    text = piped(demo, "metrics")
    _fits(text)
    figures = json.loads(piped(demo, "metrics", "--json"))["by_currency"]
    assert set(figures) == {"EUR", "USD"}
    for currency, c in figures.items():
        row, aging = [line for line in text.splitlines() if f" {currency} " in line]
        for name in ("dso_days", "cei_percent", "overdue_share_percent", "average_days_to_pay"):
            assert c[name] in row, (name, row)
        for value in c["aging"].values():
            assert f"{Decimal(value):,}" in aging, (value, aging)
    # wide enough, one table with every column
    wide = piped(demo, "metrics", columns=160)
    assert "aging (open balance" not in wide and re.search(r"DSO.*90\+", wide)


def test_findings_list_wraps_only_the_explanation(demo: Path) -> None:
    text = piped(demo, "findings", "list")
    _fits(text)
    shown = int(re.search(r"findings \((\d+)\)", text).group(1))  # type: ignore[union-attr]
    assert shown == 11 and text.count("  what: ") == shown
    # each finding: a heading, its fields on their own lines, the explanation as prose
    assert "\n2  status_mismatch\n" in text
    assert ("what: stripe says C35AD01B-0001 (INV-1016 in books) is paid in full; books says "
            "it is open for €3,877.19.") in _flat(text)
    words_alone = [line for line in text.splitlines() if len(line.split()) == 1]
    assert len(words_alone) <= shown  # the headings' ids at most; no word on its own line
    assert len(text.splitlines()) < 12 * shown
    # on a wide terminal it stays a table
    assert "┃ what" in piped(demo, "findings", "list", columns=250)


def test_status_keeps_names_and_sums_whole(demo: Path) -> None:
    text = piped(demo, "status")
    _fits(text)
    totals = [line.split() for line in text.splitlines() if line.startswith("stripe_export ")]
    assert totals == [["stripe_export", "payment", "USD", "11", "11", "0", "0", "21,001.30"],
                      ["stripe_export", "payment", "EUR", "9", "9", "0", "0", "24,076.19"]]
    runs = [line.split() for line in text.splitlines()
            if re.match(r"\d+ +sync +stripe_export ", line)]
    assert runs and runs[0][-1] == "20/0/0/0"


def test_payouts_keep_every_amount(demo: Path) -> None:
    text = piped(demo, "payouts", "--lines")
    _fits(text)
    flat = _flat(text)
    assert "stripe:payout:po_53oe3fJBVXzHz1AMmlVdnlqU" in flat
    for field in ("status: paid", "amount: €3,764.45", "payments: €3,877.19", "fees: €112.74",
                  "refunds: €0.00", "other: €0.00", "bank deposit: missing: none found"):
        assert field in flat, field
    assert re.search(r"charge ch_\w+ amount: €3,764.45 payments: €3,877.19 fees: €112.74",
                     flat)
