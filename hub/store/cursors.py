"""Where each source's pull of each entity got to. Saved with the page it follows."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import cursors


def load(conn: Connection, source: str, entity: str) -> str | None:
    stmt = sa.select(cursors.c.cursor).where(
        cursors.c.source == source, cursors.c.entity == entity
    )
    value: str | None = conn.execute(stmt).scalar()
    return value


def save(
    conn: Connection, source: str, entity: str, cursor: str, *, run_id: int | None, now: datetime
) -> None:
    updated = conn.execute(
        cursors.update()
        .where(cursors.c.source == source, cursors.c.entity == entity)
        .values(cursor=cursor, updated_at=now, run_id=run_id)
    )
    if not updated.rowcount:
        conn.execute(
            cursors.insert().values(
                source=source, entity=entity, cursor=cursor, updated_at=now, run_id=run_id
            )
        )


def clear(conn: Connection, source: str, entity: str | None = None) -> None:
    stmt = cursors.delete().where(cursors.c.source == source)
    if entity is not None:
        stmt = stmt.where(cursors.c.entity == entity)
    conn.execute(stmt)
