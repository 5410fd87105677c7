"""The store: every record, link, cursor, quarantined row, outbox message,
finding, run and audit entry, in SQLite by default or PostgreSQL.

The store owns all SQL: the rest of the hub calls the functions of its
modules with a connection. :class:`Engine` and :class:`Connection` are
re-exported here so that callers can scope a transaction (``engine.begin()``)
and name the types without importing SQLAlchemy themselves.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, Connection, Engine

from hub.store.database import (
    TRANSIENT_ERRORS,
    create_engine,
    current_revision,
    head_revision,
    migrate,
    refused_by_constraint,
    shown_url,
)
from hub.store.schema import MAX_ID


def open_store(url: str, *, upgrade: bool = True) -> Engine:
    """An engine on ``url`` with the schema at the newest migration."""
    engine = create_engine(url)
    if upgrade:
        migrate(engine)
    return engine


__all__ = ["MAX_ID", "TRANSIENT_ERRORS", "URL", "Connection", "Engine", "create_engine",
           "current_revision", "head_revision", "migrate", "open_store",
           "refused_by_constraint", "shown_url"]
