"""Check a cash-application corpus (the four-file format of ../shared/matching-cases).

    .venv/bin/python bench/check_cases.py bench/cases/own
    .venv/bin/python bench/check_cases.py ../shared/matching-cases

Reads customers.csv, invoices.csv, bank_lines.csv and expected.csv and checks
that every label is consistent with the numbers, replaying the bank lines in
booking order against the invoices' open balances as a coordinator would:

- ``full`` pays the invoice's balance exactly, ``many`` the exact sum of two
  or more balances, ``partial`` part of one (the last instalment may clear it);
- ``short_fee`` is 15, 25 or 35 (2500 on JPY) below the balance, or exactly
  2% or 3% below it with the percentage written in the memo;
- ``overpayment`` is above the balance; ``wrong_currency`` arrives in another
  currency than the named invoice; ``names_closed_invoice`` names a paid or
  void invoice;
- ``duplicate_of`` repeats an earlier line's amount, currency, counterparty and
  memo 0 to 9 days later;
- ``unknown`` and ``not_customer_payment`` carry no invoices; debits are
  always ``not_customer_payment``.

Prints one line per problem and a count per kind; exits 1 when a problem was found.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

KINDS = ("full", "many", "partial", "short_fee", "overpayment", "duplicate_of",
         "not_customer_payment", "unknown", "wrong_currency", "names_closed_invoice")
DECIMALS = {"JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3}
FEES = {Decimal(15), Decimal(25), Decimal(35)}
JPY_FEES = {Decimal(2500)}
MAX_DUPLICATE_DAYS = 9


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _places(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _states_percent(memo: str, percent: int) -> bool:
    pattern = rf"(?<!\d){percent}\s*(%|pct|prozent|procent)"
    return re.search(pattern, memo, re.IGNORECASE) is not None


def check(cases: Path) -> tuple[list[str], Counter[str]]:
    problems: list[str] = []
    customers = {row["customer_id"]: row for row in _rows(cases / "customers.csv")}
    invoices = {row["invoice_number"]: row for row in _rows(cases / "invoices.csv")}
    lines = _rows(cases / "bank_lines.csv")
    expected = {row["line_id"]: row for row in _rows(cases / "expected.csv")}
    kinds: Counter[str] = Counter()

    balance: dict[str, Decimal] = {}
    for number, inv in invoices.items():
        places = DECIMALS.get(inv["currency"], 2)
        for field in ("total", "balance"):
            if _places(inv[field]) != places:
                problems.append(f"{number}: {field} {inv[field]} needs {places} decimals")
        if inv["customer_id"] not in customers:
            problems.append(f"{number}: unknown customer {inv['customer_id']}")
        balance[number] = Decimal(inv["balance"])
        if inv["status"] in ("paid", "void") and balance[number] != 0:
            problems.append(f"{number}: {inv['status']} with balance {inv['balance']}")
        if inv["status"] == "open" and not 0 < balance[number] <= Decimal(inv["total"]):
            problems.append(f"{number}: open with balance {inv['balance']}")

    if set(expected) != {line["line_id"] for line in lines} or len(expected) != len(lines):
        problems.append("expected.csv must hold exactly one row per bank line")
    seen: dict[str, dict[str, str]] = {}
    instalments: Counter[str] = Counter()
    previous = ""
    for line in lines:
        lid = line["line_id"]
        if line["booked_date"] < previous:
            problems.append(f"{lid}: not in booking order")
        previous = line["booked_date"]
        label = expected.get(lid)
        seen[lid] = line
        if label is None:
            continue
        kind, refs = label["kind"], label["invoices"].split()
        kinds[kind] += 1
        amount, cur = Decimal(line["amount"]), line["currency"]
        if _places(line["amount"]) != DECIMALS.get(cur, 2):
            problems.append(f"{lid}: amount {line['amount']} has the wrong decimals for {cur}")
        if not label["note"].strip():
            problems.append(f"{lid}: no note")
        if kind not in KINDS:
            problems.append(f"{lid}: unknown kind {kind}")
            continue
        if kind == "duplicate_of":
            first = seen.get(refs[0]) if len(refs) == 1 else None
            if first is None or first is line:
                problems.append(f"{lid}: duplicate_of must name one earlier line")
                continue
            days = (date.fromisoformat(line["booked_date"])
                    - date.fromisoformat(first["booked_date"])).days
            same = all(first[k] == line[k] for k in ("amount", "currency", "counterparty", "memo"))
            if not same or not 0 <= days <= MAX_DUPLICATE_DAYS:
                problems.append(f"{lid}: not a copy of {refs[0]} within {MAX_DUPLICATE_DAYS} days")
            if expected[refs[0]]["kind"] == "duplicate_of":
                problems.append(f"{lid}: points at another duplicate")
            continue
        if kind in ("unknown", "not_customer_payment"):
            if refs:
                problems.append(f"{lid}: {kind} carries invoices")
            continue
        if amount <= 0:
            problems.append(f"{lid}: a debit labelled {kind}")
            continue
        missing = [r for r in refs if r not in invoices]
        if missing or not refs:
            problems.append(f"{lid}: invoices {missing or 'none'} not in invoices.csv")
            continue
        currencies = {invoices[r]["currency"] for r in refs}
        if kind == "wrong_currency":
            if len(refs) != 1 or cur in currencies:
                problems.append(f"{lid}: wrong_currency needs one invoice in another currency")
            continue
        if currencies != {cur}:
            problems.append(f"{lid}: {kind} in {cur} for invoices in {sorted(currencies)}")
            continue
        if kind == "names_closed_invoice":
            if len(refs) != 1 or invoices[refs[0]]["status"] not in ("paid", "void"):
                problems.append(f"{lid}: names_closed_invoice needs one paid or void invoice")
            continue
        open_ = [balance[r] for r in refs]
        if any(b <= 0 for b in open_):
            problems.append(f"{lid}: {kind} meets a settled invoice among {refs}")
            continue
        if kind == "many":
            if len(refs) < 2 or amount != sum(open_):
                problems.append(f"{lid}: many {amount} != {sum(open_)} ({refs})")
            for r in refs:
                balance[r] = Decimal(0)
            continue
        if len(refs) != 1:
            problems.append(f"{lid}: {kind} needs exactly one invoice")
            continue
        ref, owed = refs[0], open_[0]
        if kind == "full":
            if amount != owed or instalments[ref]:
                problems.append(f"{lid}: full {amount} but {ref} owes {owed}"
                                + (" after instalments" if instalments[ref] else ""))
            balance[ref] = Decimal(0)
        elif kind == "partial":
            if amount > owed or (amount == owed and not instalments[ref]):
                problems.append(f"{lid}: partial {amount} against {owed} of {ref}")
            instalments[ref] += 1
            balance[ref] = owed - amount
        elif kind == "short_fee":
            gap = owed - amount
            fee = gap in (JPY_FEES if cur == "JPY" else FEES)
            discount = any(gap == (owed * p / 100).quantize(gap) and _states_percent(
                line["memo"], p) for p in (2, 3))
            if not (fee or discount):
                problems.append(f"{lid}: short_fee gap {gap} on {owed} is neither a fee "
                                "nor a stated discount")
            balance[ref] = Decimal(0)
        elif kind == "overpayment":
            if amount <= owed:
                problems.append(f"{lid}: overpayment {amount} not above {owed}")
            balance[ref] = Decimal(0)
    return problems, kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", type=Path)
    args = parser.parse_args()
    problems, kinds = check(args.cases)
    for problem in problems:
        print(problem)
    total = sum(kinds.values())
    print(f"{args.cases}: {total} lines, {len(problems)} problems")
    for kind in KINDS:
        print(f"  {kind:22} {kinds[kind]:3d}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
