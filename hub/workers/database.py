"""The queue's tables in the store's PostgreSQL database, and a connection string for them."""

from __future__ import annotations

from hub.errors import ConfigError
from hub.store import URL, Engine, jobs


def require_postgresql(engine: Engine, doing: str) -> None:
    """ConfigError unless the store is on PostgreSQL, saying what to use instead."""
    if engine.dialect.name != "postgresql":
        raise ConfigError(
            f"{doing} needs a PostgreSQL store; this one is {engine.dialect.name}",
            path="store.url",
            hint="run the schedule in this process with `billing-hub run-schedule` (any "
                 "store), or set [store] url = \"postgresql+psycopg://USER@HOST/DB\" to run "
                 "workers on several machines")


def conninfo(url: URL) -> str:
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
    """Whether the queue's tables are in the store (:func:`hub.store.jobs.has_tables`)."""
    return jobs.has_tables(engine)


def ensure_schema(engine: Engine) -> bool:
    """Create procrastinate's tables in the store's schema unless they are there.

    Returns True when it created them (:func:`hub.store.jobs.create_tables`: several
    workers starting at once create them once).
    """
    return jobs.create_tables(engine)
