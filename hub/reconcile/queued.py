"""Payment applications a coordinator queued for the ledger (read by the reconciler)."""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import outbox

ENTITY = "payment_application"


def queued_minor(conn: Connection) -> dict[int, list[tuple[int, int]]]:
    """payment record id -> [(invoice record id, amount in minor units)] still queued or sent."""
    out: dict[int, list[tuple[int, int]]] = {}
    stmt = sa.select(outbox.c.payload).where(outbox.c.entity == ENTITY,
                                             outbox.c.status != "failed")
    for (payload,) in conn.execute(stmt):
        data = orjson.loads(payload)
        out.setdefault(data["payment_id"], []).append((data["invoice_id"],
                                                       data["amount_minor"]))
    return out
