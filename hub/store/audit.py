"""The audit log: who did what to the books, and when."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.clock import as_utc, utcnow
from hub.store.schema import audit_log


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def record(
    conn: Connection,
    action: str,
    *,
    subject: str | None = None,
    actor: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    conn.execute(
        audit_log.insert().values(
            at=at or utcnow(),
            actor=actor or default_actor(),
            action=action,
            subject=subject,
            details=orjson.dumps(details or {}, default=str).decode(),
        )
    )


@dataclass(slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]


def _entries(conn: Connection, stmt: sa.Select[Any]) -> list[AuditEntry]:
    return [
        AuditEntry(as_utc(r.at) or r.at, r.actor, r.action, r.subject, orjson.loads(r.details))
        for r in conn.execute(stmt)
    ]


def recent(conn: Connection, limit: int = 50) -> list[AuditEntry]:
    """The latest entries, newest first."""
    return _entries(conn, sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))


def for_subject(conn: Connection, subject: str, limit: int = 500) -> list[AuditEntry]:
    """The latest entries about ``subject`` (``finding:12``), newest first."""
    stmt = (sa.select(audit_log).where(audit_log.c.subject == subject)
            .order_by(audit_log.c.id.desc()).limit(limit))
    return _entries(conn, stmt)


def details_of(conn: Connection, action: str, subjects: Sequence[str]
               ) -> list[tuple[str, dict[str, Any]]]:
    """(subject, details) of the entries of ``action`` about ``subjects``, oldest first."""
    stmt = (sa.select(audit_log.c.subject, audit_log.c.details)
            .where(audit_log.c.action == action, audit_log.c.subject.in_(list(subjects)))
            .order_by(audit_log.c.id))
    return [(subject, orjson.loads(details)) for subject, details in conn.execute(stmt)]
