"""The store overview: sums per currency from minor units, overdue by due date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from hub.reconcile.settings import ReconcileSettings
from hub.reports.overview import money_text, overview
from tests.support.hub import hub

BODY = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "inv.csv"
entity = "invoice"
date_format = "iso"
[connectors.books.files.columns]
number = "No"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
preset = "bank-signed"
defaults = { currency = "KWD" }
"""


def test_overview_sums_each_currency_exactly(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "inv.csv").write_text(
        "No,Customer,Date,Due,Cur,Total,Open,Status\n"
        "A1,Acme,2026-01-01,2026-01-31,USD,100.10,100.10,open\n"
        "A2,Acme,2026-02-01,2026-03-31,USD,0.20,0.20,open\n"
        "A3,Kobe,2026-01-05,2026-02-04,JPY,5000,1200,partially_paid\n"
        "A4,Kobe,2026-01-06,2026-02-05,JPY,700,0,paid\n"
        "A5,Void,2026-01-06,2026-02-05,USD,900.00,900.00,void\n",
        encoding="utf-8",
    )
    (tmp_path / "bank.csv").write_text(
        "Date,Description,Amount,Balance\n2026-02-01,in,10.125,10.125\n"
        "2026-02-02,fee,-0.005,10.120\n", encoding="utf-8")
    with hub(tmp_path, store_url, BODY) as (sync, engine, _):
        sync.sync("books")
        sync.sync("bank")
        with engine.connect() as conn:
            seen = overview(conn, date(2026, 3, 1), ReconcileSettings())
    assert seen.open_invoices == 3
    assert seen.open_balance == {"USD": Decimal("100.30"), "JPY": Decimal("1200")}
    assert seen.overdue_invoices == 2
    assert seen.overdue_balance == {"USD": Decimal("100.10"), "JPY": Decimal("1200")}
    assert seen.bank_in == {"KWD": Decimal("10.125")}
    assert seen.bank_out == {"KWD": Decimal("0.005")}
    assert all(isinstance(v, Decimal) for v in seen.open_balance.values())
    assert money_text(seen.open_balance) == "JPY 1,200 + USD 100.30"
    assert money_text({}) == "nothing"
