"""Cash application scored on a hand-labelled corpus (../shared/matching-cases by default).

The corpus: customers, invoices, bank statement lines and, for every line, the
decision a careful coordinator takes (``expected.csv``). This benchmark
imports the invoices (with their customer's name, as an invoice export
carries it) and the bank lines as payments (the counterparty as payer, the
memo as memo) through ``billing-hub sync``, runs ``billing-hub reconcile``,
and reads ``billing-hub report -f json``. Everything goes through the CLI and
the config, so the same script scores any version of billing-hub.

What the hub predicts for a line, as the corpus README's recall-only scoring
asks (the hub's suggestions carry no corpus kinds):

- the earlier line's id, when a ``duplicate_payment`` finding pairs the line
  with an earlier one;
- else the invoice numbers of the top suggestion of its ``unapplied_payment``
  or ``partly_applied_payment`` finding;
- else nothing (no finding: quarantined as a debit, or taken as settled).

A line is a hit when that set equals the expected one exactly (empty for
``unknown`` and ``not_customer_payment``).

    .venv/bin/python bench/matching_cases.py
    .venv/bin/python bench/matching_cases.py --cases ../shared/matching-cases
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

CONFIG = """
[store]
url = "sqlite:///cases.db"

[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "iso"
id_columns = ["invoice_number"]
[connectors.books.files.columns]
number = "invoice_number"
customer_name = "customer_name"
customer_ref = "customer_id"
currency = "currency"
total = "total"
balance = "balance"
issue_date = "issue_date"
due_date = "due_date"
status = "status"

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank_lines.csv"
entity = "payment"
date_format = "iso"
id_columns = ["line_id"]
[connectors.bank.files.columns]
reference = "line_id"
received_date = "booked_date"
amount = "amount"
currency = "currency"
payer_name = "counterparty"
memo = "memo"
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _prepare(cases: Path, work: Path) -> None:
    names = {row["customer_id"]: row["name"] for row in _rows(cases / "customers.csv")}
    invoices = _rows(cases / "invoices.csv")
    with (work / "invoices.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*invoices[0], "customer_name"])
        writer.writeheader()
        for row in invoices:
            writer.writerow({**row, "customer_name": names[row["customer_id"]]})
    (work / "bank_lines.csv").write_bytes((cases / "bank_lines.csv").read_bytes())
    (work / "billing-hub.toml").write_text(CONFIG, encoding="utf-8")


def _hub(work: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", "from hub.cli.app import main; main()",
                           "--config", str(work / "billing-hub.toml"), *args],
                          cwd=work, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        raise SystemExit(f"billing-hub {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return done.stdout


def _line_of(record: str) -> str:
    return record.rsplit(":", 1)[-1]


def predictions(report: dict[str, object]) -> dict[str, set[str]]:
    """Line id -> the set the hub predicts for it (see the module's docstring)."""
    predicted: dict[str, set[str]] = {}
    findings = report["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        details = finding.get("details") or {}
        if finding["kind"] in ("unapplied_payment", "partly_applied_payment"):
            suggestions = details.get("suggestions") or []
            if suggestions:
                predicted.setdefault(_line_of(details["record"]), set(suggestions[0]["numbers"]))
    for finding in findings:
        if finding["kind"] == "duplicate_payment":
            first, second = (_line_of(r) for r in finding["details"]["records"])
            predicted[second] = {first}
    return predicted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "matching-cases")
    args = parser.parse_args()
    expected = {row["line_id"]: (row["kind"], set(row["invoices"].split()))
                for row in _rows(args.cases / "expected.csv")}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _prepare(args.cases, work)
        _hub(work, "sync")
        _hub(work, "reconcile")
        report = json.loads(_hub(work, "report", "-f", "json"))
    predicted = predictions(report)
    lines: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    wrong_confident: dict[str, int] = defaultdict(int)
    for line, (kind, wanted) in expected.items():
        got = predicted.get(line, set())
        lines[kind] += 1
        hits[kind] += got == wanted
        if got and got != wanted:
            wrong_confident[kind] += 1
    print(f"{args.cases}: {len(expected)} bank lines, scored on the exact set (recall)")
    print(f"{'kind':22} {'lines':>5} {'hits':>5} {'recall':>7} {'wrong suggestion':>17}")
    for kind in sorted(lines, key=lambda k: -lines[k]):
        print(f"{kind:22} {lines[kind]:5d} {hits[kind]:5d} {hits[kind] / lines[kind]:7.3f} "
              f"{wrong_confident[kind]:17d}")
    total = sum(hits.values())
    print(f"{'all lines':22} {len(expected):5d} {total:5d} {total / len(expected):7.3f} "
          f"{sum(wrong_confident.values()):17d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
