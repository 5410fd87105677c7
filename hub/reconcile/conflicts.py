"""``concurrent_edit`` findings: changes the pusher did not send because someone changed
the same fields in the target meanwhile (outbox rows in ``conflict``).

Each shows, field by field, the base (what the hub last wrote there), ours
(what the change writes) and theirs (what the target holds), and what to do:
``billing-hub push keep-theirs ID`` or ``billing-hub push send-ours ID``. It
holds while the row waits, so a reconcile keeps it open and resolves it once a
person settled the row. :func:`record_now` stores them right after a push, so a
coordinator sees them before the next reconcile.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from hub.contract.names import record_name
from hub.contract.rules import Finding
from hub.reconcile import lifecycle
from hub.reconcile.kinds import DEFAULT_SEVERITY, Kind
from hub.store import Connection
from hub.store import outbox as store_outbox

KIND = Kind.CONCURRENT_EDIT


def _sides(fields: Iterable[dict[str, Any]]) -> str:
    return "; ".join(f"{f['field']}: base {f.get('base') or '(none)'}, ours "
                     f"{f.get('ours') or '(none)'}, theirs {f.get('theirs') or '(none)'}"
                     for f in fields)


def found(conn: Connection) -> list[Finding]:
    """One finding per change waiting in ``conflict``."""
    out = []
    for row in store_outbox.in_status(conn, [store_outbox.CONFLICT]):
        account = orjson.loads(row.result) if row.result else {}
        fields = list(account.get("conflict") or [])
        record = orjson.loads(row.payload)
        label = record_name(str(record.get("source")), row.entity,
                            str(record.get("external_id")))
        copy = account.get("external_id")
        where = record_name(row.target, row.entity, str(copy)) if copy else row.target
        out.append(Finding(
            key=f"{KIND.value}:{row.target}:{row.record_id or row.id}",
            kind=KIND.value, record_ids=[row.record_id] if row.record_id else [],
            severity=DEFAULT_SEVERITY[KIND],
            customer=record.get("customer_name") or record.get("name"),
            explanation=(f"{label} and {where} were both changed since the hub last wrote "
                         f"{where}, in the same field(s): {_sides(fields)}. Change {row.id} "
                         f"was not sent. Keep {row.target}'s values (`billing-hub push "
                         f"keep-theirs {row.id}`) or send ours (`billing-hub push send-ours "
                         f"{row.id}`)."),
            details={"outbox_id": row.id, "target": row.target, "record": label,
                     "copy": where, "fields": fields,
                     "actions": [f"billing-hub push keep-theirs {row.id}",
                                 f"billing-hub push send-ours {row.id}"]}))
    return out


def record_now(conn: Connection, now: datetime) -> int:
    """Store the ``concurrent_edit`` findings of the rows in conflict now, leaving every
    other finding as it is; how many there are."""
    current = found(conn)
    lifecycle.upsert(conn, current, now)
    return len(current)
