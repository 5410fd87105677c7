"""Opening the store: engine, connection settings and migrations."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from hub.errors import StoreError
from hub.store import locks, schema

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL may wait for a lock
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def refused_by_constraint(exc: BaseException) -> bool:
    """Whether ``exc`` is a write the database refused for a constraint (a unique key
    another process wrote first, say), as SQLAlchemy or the driver itself raised it
    (the bulk inserts use the driver's cursor: sqlite3's executemany, psycopg's COPY)."""
    if isinstance(exc, sa.exc.IntegrityError | sqlite3.IntegrityError):
        return True
    sqlstate = getattr(exc, "sqlstate", None)  # psycopg's errors carry their SQLSTATE
    return isinstance(sqlstate, str) and sqlstate.startswith("23")

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, sa.exc.InterfaceError)
"""The database's errors that may pass by themselves: unreachable, the connection lost."""


def shown_url(url: str) -> str:
    """``url`` as it may be shown: the password hidden."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparseable URL)"


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    try:
        engine = sa.create_engine(url, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise StoreError(
            f"cannot use store URL {shown_url(url)!r}: {exc}",
            hint="use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db",
        ) from None
    except ImportError as exc:
        raise StoreError(
            f"the database driver for this store URL is not installed: {exc}",
            hint='for PostgreSQL: pip install "billing-hub[postgres]"',
        ) from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config(connection: Connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


MIGRATION_LOCK = "billing-hub migrations"
MIGRATION_WAIT = 300.0
"""Seconds a process waits for another one's migration to finish."""


def _refused_permission(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    text = str(exc.orig).lower()
    return (sqlstate in ("42501", "3F000")  # insufficient privilege; no schema to create in
            or "permission denied" in text or "readonly database" in text)


def _unreachable(exc: DBAPIError, doing: str) -> StoreError:
    if _refused_permission(exc):
        hint = "check that the database user may create and alter tables in this database"
    elif isinstance(exc, OperationalError):
        hint = "check that the database is reachable and the URL in [store] is right"
    else:
        hint = "see the database's message above"
    return StoreError(f"cannot {doing}: {exc.orig}", hint=hint)


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision, or None for an empty store."""
    try:
        return _revision(engine)
    except DBAPIError as exc:
        raise _unreachable(exc, "read the store's schema version") from None


def _empty(conn: Connection) -> bool:
    """Whether the store holds none of billing-hub's tables (nor a schema version)."""
    present = set(sa.inspect(conn).get_table_names())
    return not present & (set(schema.metadata.tables) | {"alembic_version"})


def migrate(engine: Engine, revision: str = "head", *, replay: bool = False) -> bool:
    """Create or upgrade the schema to ``revision`` (default: the newest); True if it
    changed anything.

    An empty store is created at the newest revision from the declared schema
    (:mod:`hub.store.schema`) and stamped, in one transaction, rather than by replaying
    every migration: the same tables (a test compares both ways on SQLite and
    PostgreSQL), in a fraction of the time. ``replay=True`` replays the migrations
    instead. A store with tables is always upgraded by its migrations.

    One process at a time migrates a store (:data:`MIGRATION_LOCK`, a store lock):
    processes started together on a fresh store wait for the first one's
    migration, then find the schema current and go on.
    """
    try:
        if revision == "head" and _revision(engine) == head_revision():
            return False  # the usual case: no lock needed
        with locks.holding(engine, MIGRATION_LOCK, timeout=MIGRATION_WAIT):
            before = _revision(engine)
            with engine.begin() as conn:
                cfg = _alembic_config(conn)
                if revision == "head" and not replay and _empty(conn):
                    schema.metadata.create_all(conn)
                    command.stamp(cfg, "head")
                else:
                    command.upgrade(cfg, revision)
            return _revision(engine) != before
    except DBAPIError as exc:
        raise _unreachable(exc, "migrate the store") from None
    except CommandError as exc:
        raise StoreError(
            f"cannot migrate the store: {exc}",
            hint="the store was probably written by a newer billing-hub: upgrade billing-hub "
                 f"(this one knows schema revisions up to {head_revision()})",
        ) from None


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as conn:
        yield conn
