"""What the hostile-input tests share: an invoice CSV of good rows with bad ones mixed in,
and the config that imports it."""

from __future__ import annotations

from pathlib import Path

from tests.support.hub import write_config

INVOICES = """\
[connectors.books]
type = "csv"

[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "%Y-%m-%d"
defaults = { currency = "USD" }
[connectors.books.files.columns]
number = "Number"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
total = "Total"
balance = "Balance"
memo = "Memo"
"""


def good_row(i: int) -> list[str]:
    return [f"INV-{i:04d}", f"Customer {i % 17}", "2024-01-05", "2024-02-04", "120.00",
            "120.00", ""]


def invoice_csv(folder: Path, store_url: str, bad: dict[int, list[str]], rows: int = 200
                ) -> Path:
    """``rows`` invoices in ``folder``/invoices.csv, row ``i`` replaced by ``bad[i]``; the
    config that imports them. Written as bytes, so that any character goes in as it is."""
    lines = ["Number,Customer,Date,Due,Total,Balance,Memo"]
    for i in range(rows):
        cells = bad.get(i, good_row(i))
        lines.append(",".join(_quoted(c) for c in cells))
    (folder / "invoices.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return write_config(folder, store_url, INVOICES)


def _quoted(cell: str) -> str:
    if any(c in cell for c in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell
