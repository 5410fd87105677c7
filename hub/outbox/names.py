"""What the outbox calls the records an application joins (no import of the sender: the
sender, the listing and the plan all use it)."""

from __future__ import annotations

from typing import Any

from hub.contract.names import record_name


def applied_names(data: dict[str, Any]) -> str:
    """``RECEIPT -> INVOICE`` of an application's payload, each ``SOURCE:ENTITY:ID`` (the
    payload names them ``SOURCE:ID``, with the receipt's entity beside)."""
    parts = []
    for key, entity in (("payment", data.get("payment_entity") or "payment"),
                        ("invoice", "invoice")):
        if data.get(key):
            source, _, ext = str(data[key]).partition(":")
            parts.append(record_name(source, str(entity), ext))
    return " -> ".join(parts)
