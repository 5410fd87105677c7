"""A small company kept in two invoice systems and a payments export that disagree in
every way the reconciler looks for: the data of the reconciler's, the report's and
the coordinator's page's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BODY = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "books.csv"
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

[connectors.shop]
type = "csv"
[[connectors.shop.files]]
path = "shop.csv"
entity = "invoice"
date_format = "iso"
[connectors.shop.files.columns]
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
path = "payments.csv"
entity = "payment"
date_format = "iso"
id_columns = ["Id"]
[connectors.bank.files.columns]
reference = "Id"
received_date = "Date"
amount = "Amount"
currency = "Cur"
payer_name = "Payer"
memo = "Memo"
invoice_number = "Applies to"
"""

HEAD = "No,Customer,Date,Due,Cur,Total,Open,Status\n"
BOOKS = HEAD + """\
INV-1001,Acme Corp,2026-03-01,2026-03-31,USD,1250.00,1250.00,open
INV-1002,Globex,2026-03-02,2026-04-01,USD,500.00,500.00,open
INV-1003,Initech,2026-03-03,2026-04-02,EUR,80.00,80.00,open
INV-1004,Umbrella,2026-03-04,2026-04-03,USD,300.00,0.00,paid
INV-1005,Hooli,2026-03-05,2026-04-04,USD,99.00,99.00,open
INV-1006,Stark Industries,2026-03-06,2026-04-05,USD,700.00,700.00,open
INV-1007,Stark Industries,2026-03-07,2026-04-06,USD,700.00,700.00,open
INV-1008,Wayne Enterprises,2026-03-08,2026-04-07,USD,200.00,200.00,open
INV-1009,Wayne Enterprises,2026-03-09,2026-04-08,USD,300.00,300.00,open
INV-1010,Wayne Enterprises,2026-03-10,2026-04-09,USD,450.00,450.00,open
INV-1011,Tyrell,2026-03-11,2026-04-10,JPY,5000,5000,open
INV-1012,Cyberdyne,2026-03-12,2026-04-11,KWD,10.125,10.125,open
"""
SHOP = HEAD + """\
1001,Acme Corp,2026-03-01,2026-03-31,USD,1250.00,0.00,paid
1002,Globex,2026-03-02,2026-04-01,USD,550.00,550.00,open
1003,Initech,2026-03-03,2026-04-02,USD,80.00,80.00,open
1004,Umbrella,2026-03-04,2026-04-03,USD,300.00,0.00,paid
1005,Hooli,2026-03-05,2026-04-20,USD,99.00,99.00,open
1099,Soylent,2026-03-06,2026-04-05,USD,42.00,42.00,open
"""
PAYMENTS = """\
Id,Date,Amount,Cur,Payer,Memo,Applies to
P1,2026-03-20,950.00,USD,Wayne Enterprises,,
P2,2026-03-21,5000,JPY,Tyrell Corp.,remittance for INV-1011,
P3,2026-03-22,98.00,USD,Hooli,,
P4,2026-03-23,800.00,USD,Stark Industries,,INV-1006
P5,2026-03-24,10.125,KWD,Cyberdine,,
P6,2026-03-25,77.00,USD,Nobody Ltd,,
P7,2026-03-26,77.00,USD,Nobody Ltd,,
"""


def write_company(folder: Path) -> None:
    """Write the company's three exports into ``folder``."""
    (folder / "books.csv").write_text(BOOKS, encoding="utf-8")
    (folder / "shop.csv").write_text(SHOP, encoding="utf-8")
    (folder / "payments.csv").write_text(PAYMENTS, encoding="utf-8")


def sync_all(sync: Any) -> None:
    """Sync the company's three connectors."""
    for name in ("books", "shop", "bank"):
        sync.sync(name)
