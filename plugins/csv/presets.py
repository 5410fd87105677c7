"""Named starting points for common exports. A file's own settings override them.

Each preset fills in the format (delimiter, decimal mark, date format) and
the column mapping of an export as the system writes it by default.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # QuickBooks Online: Sales > Invoices > Export, or the "Invoice List" report.
    "quickbooks-invoices": {
        "entity": "invoice",
        "delimiter": ",",
        "decimal": ".",
        "thousands": ",",
        "date_format": "%m/%d/%Y",
        "id_columns": ["No."],
        "columns": {
            "number": "No.",
            "issue_date": "Date",
            "customer_name": "Customer",
            "due_date": "Due Date",
            "total": "Amount",
            "balance": "Open Balance",
            "status": "Status",
        },
        "status_map": {
            "Paid": "paid", "Open": "open", "Overdue": "open", "Partial": "partially_paid",
            "Partially paid": "partially_paid", "Voided": "void", "Void": "void",
            "Draft": "draft", "Deposited": "paid", "Due": "open",
        },
    },
    # Stripe Dashboard: Payments > Export (the default columns).
    "stripe-payments": {
        "entity": "payment",
        "delimiter": ",",
        "decimal": ".",
        "thousands": "",
        "date_format": "iso",
        "id_columns": ["id"],
        "columns": {
            "reference": "id",
            "received_date": "created",
            "amount": "amount",
            "refunded": "amount_refunded",
            "currency": "currency",
            "fee": "fee",
            "memo": "description",
            "customer_ref": "customer_id",
            "payer_name": "customer_description",
            "invoice_ref": "invoice_id",
            "status": "status",
        },
        "defaults": {"method": "card"},
        "status_map": {
            "Paid": "succeeded", "Refunded": "refunded", "Partially Refunded": "succeeded",
            "Failed": "failed", "Uncaptured": "pending", "Disputed": "disputed",
        },
    },
    # A bank statement with one signed amount column.
    "bank-signed": {
        "entity": "bank_transaction",
        "date_format": "iso",
        "columns": {
            "booked_date": "Date",
            "description": "Description",
            "amount": "Amount",
            "balance_after": "Balance",
        },
    },
    # A bank statement with separate debit (money out) and credit (money in) columns.
    "bank-debit-credit": {
        "entity": "bank_transaction",
        "date_format": "iso",
        "columns": {
            "booked_date": "Date",
            "description": "Description",
            "debit": "Debit",
            "credit": "Credit",
            "balance_after": "Balance",
        },
    },
}


def preset_names() -> list[str]:
    return sorted(PRESETS)
