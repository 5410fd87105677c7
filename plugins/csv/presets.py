"""Named starting points for common exports. A file's own settings override them.

Each preset fills in the format (delimiter, decimal mark, date format) and
the column mapping of an export as the system writes it by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.csv.config import FileMapping

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
    # A bank statement that names the other party: one signed amount, its currency, who
    # paid or was paid, the bank's text and the payment reference (the invoice number, often).
    "bank-statement": {
        "entity": "bank_transaction",
        "date_format": "iso",
        "columns": {
            "booked_date": "Date",
            "amount": "Amount",
            "currency": "Currency",
            "counterparty": "Counterparty",
            "description": "Description",
            "reference": "Reference",
        },
    },
}


def preset_names() -> list[str]:
    return sorted(PRESETS)


def merge_preset(mapping: FileMapping) -> FileMapping:
    """The file's settings laid over its preset's. An empty column name drops a preset column."""
    if mapping.preset is None:
        return mapping
    if mapping.preset not in PRESETS:
        raise ValueError(f"unknown preset {mapping.preset!r} (known: {', '.join(sorted(PRESETS))})")
    preset = PRESETS[mapping.preset]
    data = mapping.model_dump(exclude_unset=True)
    merged: dict[str, Any] = {k: v for k, v in preset.items() if k not in ("columns",)}
    merged.update({k: v for k, v in data.items() if k not in ("columns", "defaults", "status_map")})
    columns = {**preset.get("columns", {}), **data.get("columns", {})}
    merged["columns"] = {k: v for k, v in columns.items() if v}
    merged["defaults"] = {**preset.get("defaults", {}), **data.get("defaults", {})}
    merged["status_map"] = {**preset.get("status_map", {}), **data.get("status_map", {})}
    merged["entity"] = data.get("entity", preset["entity"])
    return FileMapping.model_validate(merged)


def raw_rows(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows a quarantined raw payload holds (an invoice's lines, or one row)."""
    rows = raw.get("rows")
    if isinstance(rows, list):
        return [dict(r) for r in rows]
    return [dict(raw)]
