"""Cash application scored on a hand-labelled corpus (../shared/matching-cases by default).

The corpus: customers, invoices, bank statement lines and, for every line, the
decision a careful coordinator takes (``expected.csv``). This benchmark loads
it as a user would, through ``billing-hub sync`` and the CSV connector's
config: the customers (with their aliases and e-mail addresses), the invoice
list (taken on 1 September 2024, before the first bank line: its balances are
"before any payment in bank_lines.csv") and the bank statement as bank
transactions. It then reads ``billing-hub cash -f json``: the matcher's kind
and invoice set for every bank line (the original line's id for a duplicate).

Scoring as the corpus README says: a line is a hit for kind K when the
expected and the predicted kind are K and the predicted set equals the
expected one exactly; precision(K) = hits / lines predicted K, recall(K) =
hits / lines expected K. The hub's kinds ``settled``, ``applied`` and
``booked_elsewhere`` are scored as what they are not: misses.

    .venv/bin/python bench/matching_cases.py
    .venv/bin/python bench/matching_cases.py --cases ../shared/matching-cases --misses
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

CONFIG = """
[store]
url = "sqlite:///cases.db"

[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["customer_id"]
[connectors.books.files.columns]
name = "name"
email = "email"
aliases = "aliases"

[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "iso"
id_columns = ["invoice_number"]
defaults = { source_modified = "2024-09-01" }
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
entity = "bank_transaction"
date_format = "iso"
id_columns = ["line_id"]
[connectors.bank.files.columns]
booked_date = "booked_date"
amount = "amount"
currency = "currency"
counterparty = "counterparty"
description = "memo"
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
    (work / "customers.csv").write_bytes((cases / "customers.csv").read_bytes())
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


def predictions(cash: dict[str, object]) -> dict[str, tuple[str, set[str]]]:
    """Line id -> (kind, set) the hub predicts for it."""
    numbers = {}
    receipts = cash["receipts"]
    assert isinstance(receipts, list)
    for r in receipts:
        kind = r["kind"]
        if kind == "duplicate_of":
            got = {_line_of(r["original"])}
        elif kind in ("not_customer_payment", "unknown"):
            got = set()
        else:
            got = set(r["numbers"])
        numbers[_line_of(r["record"])] = (kind, got)
    return numbers


def score(cases: Path, *, misses: bool = False) -> float:
    """Load ``cases`` through the CLI, print precision and recall per kind; the hit rate."""
    expected = {row["line_id"]: (row["kind"], set(row["invoices"].split()))
                for row in _rows(cases / "expected.csv")}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _prepare(cases, work)
        _hub(work, "sync")
        cash = json.loads(_hub(work, "cash", "-f", "json"))
    predicted = predictions(cash)
    lines: Counter[str] = Counter()
    said: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    missed = []
    for line, (kind, wanted) in expected.items():
        got_kind, got = predicted.get(line, ("(none)", set()))
        lines[kind] += 1
        said[got_kind] += 1
        hit = got_kind == kind and got == wanted
        hits[kind] += hit
        if not hit:
            missed.append((line, kind, wanted, got_kind, got))
    print(f"{cases}: {len(expected)} bank lines, kind and exact set")
    print(f"{'kind':22} {'lines':>5} {'said':>5} {'hits':>5} {'precision':>9} {'recall':>7}")
    for kind in sorted(lines, key=lambda k: -lines[k]):
        precision = hits[kind] / said[kind] if said[kind] else 0.0
        print(f"{kind:22} {lines[kind]:5d} {said[kind]:5d} {hits[kind]:5d} {precision:9.3f} "
              f"{hits[kind] / lines[kind]:7.3f}")
    for kind in sorted(set(said) - set(lines)):
        print(f"{kind:22} {0:5d} {said[kind]:5d} {0:5d} {0:9.3f} {'-':>7}")
    total = sum(hits.values())
    print(f"{'all lines':22} {len(expected):5d} {len(expected):5d} {total:5d} "
          f"{'':9} {total / len(expected):7.3f}")
    if misses:
        for line, kind, wanted, got_kind, got in missed:
            print(f"  {line}: expected {kind} {sorted(wanted)}, got {got_kind} {sorted(got)}")
    return total / len(expected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "matching-cases")
    parser.add_argument("--misses", action="store_true", help="List every missed line.")
    args = parser.parse_args()
    score(args.cases, misses=args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
