"""A person's say over the outbox: approving and declining changes, settling conflicts.

Each decision is kept in the row's JSON account (``result``: ``approved`` with who
and when; ``declined``; ``kept_theirs``; ``overrule``) and written to the audit
log with who and when:

- :func:`approve`: a pending change may go (``billing-hub push approve``); a
  scheduled push with ``[push] scheduled = "approved"`` and a manual
  ``push send`` without ``--unapproved`` send only these;
- :func:`decline`: a pending or conflicting change is not to be sent
  (``push reject --reason``): status ``declined``;
- :func:`keep_theirs`: a conflict is settled for the target's values: status
  ``declined``, and the change becomes the base of the next update of the
  record, so the fields the target holds are kept as theirs from then on;
- :func:`send_ours`: a conflict is settled for the hub's values: the change is
  queued again, approved, overruling the target in the fields in conflict as
  long as the target still holds the values the person saw.

:func:`base_of` is the base an update is compared with: the change of the same
record last sent to the target, or last settled by keeping theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from hub.contract.pushing import PushOperation
from hub.errors import HubError
from hub.models import CanonicalRecord
from hub.outbox.queue import record_of
from hub.store import Connection, audit
from hub.store import outbox as store_outbox
from hub.store.outbox import CONFLICT, DECLINED, PENDING, SENT, OutboxRow

APPROVED = "approved"
WRITES = (PushOperation.CREATE.value, PushOperation.UPDATE.value)


def _account(row: OutboxRow) -> dict[str, Any]:
    data = orjson.loads(row.result) if row.result else {}
    return data if isinstance(data, dict) else {}


def approved(result: dict[str, Any]) -> bool:
    """Whether a row's account says a person approved it."""
    return bool(result.get(APPROVED))


def approval(by: str, at: datetime) -> dict[str, Any]:
    """The account of a change approved by ``by`` at ``at``."""
    return {APPROVED: {"by": by, "at": at.isoformat()}}


def base_of(conn: Connection, target: str, record_id: int, before: int
            ) -> CanonicalRecord | None:
    """The record as last sent to ``target`` (a create or update answered), or as last
    settled by keeping the target's values, before row ``before``; None if neither."""
    for row in store_outbox.of_record(conn, target, record_id, before=before,
                                      statuses=[SENT, DECLINED], operations=WRITES):
        if row.status == SENT or _account(row).get("kept_theirs"):
            return record_of(row.entity, row.payload)
    return None


def _rows(conn: Connection, ids: Sequence[int], statuses: Sequence[str], what: str
          ) -> list[OutboxRow]:
    found = store_outbox.by_ids(conn, ids)
    missing = sorted(set(ids) - {r.id for r in found})
    if missing:
        raise HubError(f"no change {missing[0]} in the outbox",
                       hint="`billing-hub push list` shows the changes with their ids")
    wrong = [r for r in found if r.status not in statuses]
    if wrong:
        raise HubError(f"change {wrong[0].id} is {wrong[0].status}: only a "
                       f"{' or '.join(statuses)} change can be {what}",
                       hint="`billing-hub push list --status " + wrong[0].status + "`")
    return found


def approve(conn: Connection, ids: Sequence[int] | None, *, target: str | None = None,
            actor: str, now: datetime) -> list[int]:
    """Approve these pending changes (``None``: every pending one, of ``target`` if given);
    the ids newly approved (one approved before keeps its approval)."""
    rows = (store_outbox.in_status(conn, [PENDING], target=target) if ids is None
            else _rows(conn, ids, [PENDING], "approved"))
    done = []
    for row in rows:
        account = _account(row)
        if approved(account):
            continue
        store_outbox.set_result(conn, row.id, orjson.dumps(
            {**account, **approval(actor, now)}).decode())
        done.append(row.id)
    if done:
        audit.record(conn, "push.approved", subject=", ".join(map(str, done)), actor=actor,
                     at=now, details={"outbox_ids": done})
    return done


def decline(conn: Connection, row_id: int, *, reason: str, actor: str, now: datetime) -> None:
    """A person says this pending or conflicting change is not to be sent."""
    if not reason.strip():
        raise HubError("say why the change is not to be sent", hint='add --reason "why"')
    [row] = _rows(conn, [row_id], [PENDING, CONFLICT], "rejected")
    account = {**_account(row), "declined": {"by": actor, "at": now.isoformat(),
                                             "reason": reason}}
    account.pop(APPROVED, None)
    store_outbox.decide(conn, row.id, status=DECLINED, result=orjson.dumps(account).decode(),
                        last_error=f"rejected by {actor}: {reason}")
    audit.record(conn, "push.declined", subject=f"outbox {row.id}", actor=actor, at=now,
                 details={"outbox_id": row.id, "reason": reason, "was": row.status})


def conflict_of(row_id: int, conn: Connection) -> OutboxRow:
    """The conflict row ``row_id`` (a HubError when it is no conflict)."""
    [row] = _rows(conn, [row_id], [CONFLICT], "settled")
    return row


def keep_theirs(conn: Connection, row_id: int, *, note: str | None, actor: str,
                now: datetime) -> OutboxRow:
    """Settle a conflict for the target: nothing is sent, and the target's values stay."""
    row = conflict_of(row_id, conn)
    account = {**_account(row), "kept_theirs": {"by": actor, "at": now.isoformat(),
                                                "note": note}}
    store_outbox.decide(conn, row.id, status=DECLINED, result=orjson.dumps(account).decode(),
                        last_error=f"kept {row.target}'s values ({actor})")
    audit.record(conn, "push.kept_theirs", subject=f"outbox {row.id}", actor=actor, at=now,
                 details={"outbox_id": row.id, "note": note,
                          "fields": account.get("conflict", [])})
    return row


def send_ours(conn: Connection, row_id: int, *, note: str | None, actor: str,
              now: datetime) -> OutboxRow:
    """Settle a conflict for the hub: the change goes again, approved, and writes its
    values over the target's in the fields in conflict (while the target still holds
    what the person saw there)."""
    row = conflict_of(row_id, conn)
    account = _account(row)
    fields = account.get("conflict") or []
    kept = {k: v for k, v in account.items() if k in ("external_id",)}
    kept.update(approval(actor, now))
    kept["overrule"] = {f["field"]: f.get("theirs") for f in fields}
    kept["sent_ours"] = {"by": actor, "at": now.isoformat(), "note": note, "fields": fields}
    store_outbox.decide(conn, row.id, status=PENDING, result=orjson.dumps(kept).decode(),
                        last_error=None, attempts=0)
    audit.record(conn, "push.sent_ours", subject=f"outbox {row.id}", actor=actor, at=now,
                 details={"outbox_id": row.id, "note": note, "fields": fields})
    return row
