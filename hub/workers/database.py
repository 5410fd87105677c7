"""The queue's tables in the store's PostgreSQL database, and a connection string for them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.errors import ConfigError

_SCHEMA_LOCK = 0x6268_776B  # "bhwk": one process at a time creates the tables


def require_postgresql(engine: Engine, doing: str) -> None:
    """ConfigError unless the store is on PostgreSQL, saying what to use instead."""
    if engine.dialect.name != "postgresql":
        raise ConfigError(
            f"{doing} needs a PostgreSQL store; this one is {engine.dialect.name}",
            path="store.url",
            hint="run the schedule in this process with `billing-hub run-schedule` (any "
                 "store), or set [store] url = \"postgresql+psycopg://USER@HOST/DB\" to run "
                 "workers on several machines")


def conninfo(url: sa.URL) -> str:
    """libpq's connection string for a SQLAlchemy ``postgresql+psycopg://`` URL, query
    options (``options=-csearch_path=...``) included, so the queue shares the schema."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, str | int] = {}
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = url.port
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = str(url.password)
    if url.database:
        params["dbname"] = url.database
    return make_conninfo("", **params)


def has_schema(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    return found is not None


def ensure_schema(engine: Engine) -> bool:
    """Create procrastinate's tables in the store's schema unless they are there.

    Returns True when it created them. Several workers starting at once wait
    for each other (an advisory lock), so the tables are created once.
    """
    from procrastinate.schema import SchemaManager

    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        if conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar():
            return False
        cursor = conn.connection.cursor()
        try:
            cursor.execute(SchemaManager.get_schema())  # no parameters: no % escapes
        finally:
            cursor.close()
    return True
