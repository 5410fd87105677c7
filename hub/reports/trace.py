"""One record traced to its source: what ``billing-hub show`` prints and the web page reuses.

:func:`trace` gathers, for a record named as on the command line
(``SOURCE:ENTITY:ID``, the short ``SOURCE:ID`` when only one record answers, or
its store id): its canonical fields, the raw payload its source gave, where it was
read (file and line, mailbox and UID, API address and dashboard link: what its
connector kept), its stored links, every state it had (:mod:`hub.store.history`)
and the findings that name it.
:func:`as_json` writes it out; the renderers only render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from hub.contract.names import record_name
from hub.errors import HubError
from hub.money import from_minor_units
from hub.reconcile.naming import resolve
from hub.store import Connection, history, links, stored
from hub.store import findings as store_findings


@dataclass(frozen=True, slots=True)
class TracedLink:
    """A stored link of the record: the record at the other end and how it was made."""

    name: str
    record_id: int
    method: str
    state: str
    rule: str | None
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class TracedState:
    """One state the record was in: what happened, when the hub learned it, the source's
    own time, the run that read it, its status and open amount then, and the canonical
    fields that differ from the state before."""

    change: str
    learned_at: datetime
    source_time: datetime | None
    run_id: int | None
    status: str | None
    open_amount: str | None
    changed_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TracedFinding:
    """A finding that names the record."""

    id: int
    kind: str
    status: str
    explanation: str


@dataclass(frozen=True, slots=True)
class RecordTrace:
    """Everything the store knows of one record, for a person to check against its source."""

    id: int
    name: str
    source: str
    entity: str
    external_id: str
    fields: dict[str, Any]
    raw: Any
    location: str | None
    """Where its source gave it: file and line, mailbox and UID, API address."""
    open_at: tuple[str, ...]
    """Links a person opens it at in its service's own app (a dashboard page), if any."""
    source_modified: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    links: list[TracedLink]
    history: list[TracedState]
    findings: list[TracedFinding]


def _changed(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[str, ...]:
    if before is None:
        return ()
    keys = sorted(set(before) | set(after))
    return tuple(k for k in keys if before.get(k) != after.get(k))


def _states(conn: Connection, record_id: int) -> list[TracedState]:
    out: list[TracedState] = []
    before: dict[str, Any] | None = None
    for s in history.of_record(conn, record_id):
        fields = orjson.loads(s.data)
        currency = fields.get("currency")
        amount = (None if s.open_minor is None or not currency
                  else str(from_minor_units(s.open_minor, currency)))
        changed = () if s.change == history.DELETED else _changed(before, fields)
        out.append(TracedState(s.change, s.learned_at, s.source_time, s.run_id, s.status,
                               amount, changed))
        before = fields
    return out


def trace(conn: Connection, name: str) -> RecordTrace:
    """The record ``name`` names, traced; a :class:`HubError` when none or several answer."""
    found = resolve(conn, name)
    row = stored.get_row(conn, found.id)
    if row is None:  # deleted between the two reads
        raise HubError(f"no record {name!r} in the store")
    traced_links = [
        TracedLink(record_name(link.other_source, link.other_entity, link.other_external_id),
                   link.other_id, link.method, link.state, link.rule, link.created_at,
                   link.created_by)
        for link in links.of_record(conn, row.id)]
    named = [TracedFinding(f.id, f.kind, f.status, f.explanation)
             for f in store_findings.naming(conn, row.id)]
    return RecordTrace(
        row.id, found.name, row.source, row.entity, row.external_id, orjson.loads(row.data),
        orjson.loads(row.raw), *_places(row.location), row.source_modified, row.first_seen_at,
        row.updated_at, row.deleted_at, traced_links, _states(conn, row.id), named)


def _places(location: str | None) -> tuple[str | None, tuple[str, ...]]:
    """(where it was read, links to open it at): a connector gives the links as lines
    after the first (:attr:`hub.contract.page.Page.locations`)."""
    lines = [line for line in (location or "").splitlines() if line.strip()]
    return (lines[0] if lines else None), tuple(lines[1:])


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def as_json(t: RecordTrace) -> bytes:
    """The trace as JSON (times in UTC, ISO 8601)."""
    data = {
        "id": t.id, "name": t.name, "source": t.source, "entity": t.entity,
        "external_id": t.external_id, "location": t.location, "open_at": list(t.open_at),
        "source_modified": _when(t.source_modified), "first_seen_at": _when(t.first_seen_at),
        "updated_at": _when(t.updated_at), "deleted_at": _when(t.deleted_at),
        "fields": t.fields, "raw": t.raw,
        "links": [{"name": link.name, "record_id": link.record_id, "method": link.method,
                   "state": link.state, "rule": link.rule,
                   "created_at": _when(link.created_at), "created_by": link.created_by}
                  for link in t.links],
        "history": [{"change": s.change, "learned_at": _when(s.learned_at),
                     "source_time": _when(s.source_time), "run_id": s.run_id,
                     "status": s.status, "open_amount": s.open_amount,
                     "changed_fields": list(s.changed_fields)} for s in t.history],
        "findings": [{"id": f.id, "kind": f.kind, "status": f.status,
                      "explanation": f.explanation} for f in t.findings],
    }
    return orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str)


__all__ = ["RecordTrace", "TracedFinding", "TracedLink", "TracedState", "as_json", "trace"]
