"""The store: every record, link, cursor, quarantined row, outbox message,
finding, run and audit entry, in SQLite by default or PostgreSQL."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from hub.store.database import create_engine, current_revision, head_revision, migrate


def open_store(url: str, *, upgrade: bool = True) -> Engine:
    """An engine on ``url`` with the schema at the newest migration."""
    engine = create_engine(url)
    if upgrade:
        migrate(engine)
    return engine


__all__ = ["create_engine", "current_revision", "head_revision", "migrate", "open_store"]
