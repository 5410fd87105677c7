"""One small invoice file and the config that imports it: the CLI's and the scheduler's
tests sync it."""

BOOKS = """
[connectors.books]
type = "csv"

[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "%Y-%m-%d"
defaults = { currency = "USD" }
columns = { number = "Number", customer_name = "Customer", issue_date = "Date", total = "Total" }
"""
GOOD = "Number,Customer,Date,Total\nINV-1,Acme,2026-03-01,100.00\nINV-2,Globex,2026-03-02,5.50\n"
