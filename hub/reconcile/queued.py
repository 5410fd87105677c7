"""Payment applications a coordinator queued for the ledger (read by the reconciler)."""

from __future__ import annotations

import orjson

from hub.store import Connection
from hub.store import outbox as store_outbox

ENTITY = "payment_application"


def queued_minor(conn: Connection) -> dict[int, list[tuple[int, int]]]:
    """payment record id -> [(invoice record id, amount in minor units)] still queued or sent."""
    out: dict[int, list[tuple[int, int]]] = {}
    for payload in store_outbox.payloads(conn, ENTITY, except_status=store_outbox.FAILED):
        data = orjson.loads(payload)
        out.setdefault(data["payment_id"], []).append((data["invoice_id"],
                                                       data["amount_minor"]))
    return out
