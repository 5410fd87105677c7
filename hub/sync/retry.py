"""Retrying quarantined records after the source or the mapping was fixed.

Each entry's raw content is mapped again by the connector that produced it
(``Connector.parse_raw``) under the current config. A record that now maps is
stored exactly as a sync would store it and the entry is resolved; one that
still fails keeps its entry with the new reason. Every retry is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.contract.connector import Connector
from hub.contract.page import Page
from hub.errors import HubError, RecordRejected
from hub.store import audit, quarantine, runs
from hub.store.clock import utcnow
from hub.sync.engine import SyncEngine


@dataclass(slots=True)
class RetryOutcome:
    """What happened to one quarantine entry."""

    entry_id: int
    ok: bool
    message: str


def retry_entries(
    sync: SyncEngine, entry_ids: Sequence[int] | None = None, *, actor: str | None = None
) -> list[RetryOutcome]:
    """Retry the given open entries (all open ones when ``entry_ids`` is None)."""
    with sync.engine.connect() as conn:
        if entry_ids is None:
            entries = quarantine.list_entries(conn, limit=1_000_000)
        else:
            entries = []
            for eid in entry_ids:
                found = quarantine.get(conn, eid)
                if found is None:
                    raise HubError(f"no quarantine entry {eid}",
                                   hint="`billing-hub quarantine list` shows the open ones")
                entries.append(found)
    outcomes: list[RetryOutcome] = []
    connectors: dict[str, Connector] = {}
    run_ids: dict[str, int] = {}
    try:
        for entry in entries:
            if entry.status != quarantine.OPEN:
                outcomes.append(RetryOutcome(entry.id, True, "already resolved"))
                continue
            connector = connectors.get(entry.source)
            if connector is None:
                try:
                    connector = sync.hub.connector(entry.source)
                except HubError as exc:
                    outcomes.append(RetryOutcome(entry.id, False, str(exc)))
                    continue
                connectors[entry.source] = connector
                with sync.engine.begin() as conn:
                    run_ids[entry.source] = runs.start(conn, "retry", entry.source, utcnow())
            outcomes.append(_retry_one(sync, connector, entry, run_ids[entry.source], actor))
    finally:
        for connector in connectors.values():
            connector.close()
        with sync.engine.begin() as conn:
            for rid in run_ids.values():
                runs.finish(conn, rid, runs.SUCCEEDED, utcnow())
    return outcomes


def _retry_one(
    sync: SyncEngine, connector: Connector, entry: quarantine.QuarantineEntry, run_id: int,
    actor: str | None,
) -> RetryOutcome:
    raw: Any = entry.raw_value()
    if not isinstance(raw, dict):
        raw = {"raw": raw}
    location = entry.location or ""
    try:
        record = connector.parse_raw(entry.entity, raw, location)
    except RecordRejected as exc:
        with sync.engine.begin() as conn:
            quarantine.update_reason(conn, entry.id, exc.reason, utcnow())
            audit.record(conn, "quarantine.retry_failed", subject=f"quarantine:{entry.id}",
                         actor=actor, details={"reason": exc.reason})
        return RetryOutcome(entry.id, False, exc.reason)
    page = Page(records=[record], locations={record.external_id: location})
    # A payload may now read as another entity (a mail that was no payment is a reply).
    counts = sync.commit_page(entry.source, record.entity, page, run_id)
    if counts.quarantined:
        with sync.engine.connect() as conn:
            latest = quarantine.get(conn, entry.id)
        reason = latest.reason if latest else "rejected again"
        return RetryOutcome(entry.id, False, reason)
    with sync.engine.begin() as conn:
        quarantine.mark_resolved(conn, entry.id, utcnow())
        audit.record(conn, "quarantine.retried", subject=f"quarantine:{entry.id}", actor=actor,
                     details={"source": entry.source, "entity": entry.entity,
                              "external_id": record.external_id})
    what = "created" if counts.created else "updated" if counts.updated else "already stored"
    return RetryOutcome(entry.id, True, f"{record.entity} {record.external_id} {what}")
