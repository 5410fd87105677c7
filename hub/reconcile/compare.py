"""The records of a finding side by side, field by field, with differences marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hub.contract.names import record_name
from hub.store import Connection, lookups

FIELDS = {
    "invoice": ("number", "customer_name", "currency", "total", "amount_paid", "balance",
                "status", "issue_date", "due_date", "terms"),
    "payment": ("reference", "payer_name", "currency", "amount", "unapplied", "received_date",
                "method", "memo", "applications"),
    "customer": ("name", "email", "currency", "terms"),
    "bank_transaction": ("booked_date", "amount", "currency", "description", "counterparty"),
}


@dataclass(slots=True)
class Comparison:
    """Column labels (one per record) and rows of (field, values, differ)."""

    labels: list[str]
    rows: list[tuple[str, list[str], bool]]


def _text(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "-"
    if isinstance(value, list):
        return "; ".join(
            f"{v.get('invoice_number') or v.get('invoice_ref')}: {v.get('amount')}"
            if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def compare(conn: Connection, record_ids: Sequence[int]) -> Comparison:
    """Fetch the records and line up their fields."""
    rows = lookups.shown(conn, record_ids)
    order = {rid: i for i, rid in enumerate(record_ids)}
    rows.sort(key=lambda r: order.get(r.id, 0))
    labels = [record_name(r.source, r.entity, r.external_id) for r in rows]
    datas = [orjson.loads(r.data) for r in rows]
    entities = [r.entity for r in rows]
    fields: list[str] = []
    for entity in entities:
        fields.extend(f for f in FIELDS.get(entity, ()) if f not in fields)
    table: list[tuple[str, list[str], bool]] = []
    for name in fields:
        values = [_text(d.get(name)) for d in datas]
        present = [v for v, e in zip(values, entities, strict=True)
                   if name in FIELDS.get(e, ())]
        differ = len(set(present)) > 1 and len(set(entities)) == 1
        table.append((name, values, differ))
    table.append(("from", [r.location or "-" for r in rows], False))
    return Comparison(labels, table)
