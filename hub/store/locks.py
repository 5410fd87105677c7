"""Named locks across processes and hosts, kept by the store.

On PostgreSQL a lock is a session advisory lock, keyed by the name and the
store's schema (one schema is one company: two companies never wait for each
other), held on a connection of its own. Beside a SQLite file it is an
``flock`` on a file in ``<store>.locks/``. Either way the operating system or
the database frees it when its process dies, however it dies: a lock is
never left behind by a killed process. An in-memory SQLite store (one
process) uses locks of this process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.errors import StoreError

_KEY = "hashtextextended(coalesce(current_schema(), '') || '/' || :name, 0)"
_TRY = sa.text(f"SELECT pg_try_advisory_lock({_KEY})")
_UNLOCK = sa.text(f"SELECT pg_advisory_unlock({_KEY})")
_POLL = 0.05

_local: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


class LockTimeout(StoreError):
    """A lock was not free within the time given."""


class Held:
    """A lock this process holds; :meth:`release` frees it (once)."""

    def __init__(self, name: str, *, conn: Connection | None = None,
                 file: IO[bytes] | None = None, local: threading.Lock | None = None) -> None:
        self.name = name
        self._conn = conn
        self._file = file
        self._local = local
        self._released = False

    def release(self) -> None:
        """Free the lock; a second call does nothing."""
        if self._released:
            return
        self._released = True
        if self._conn is not None:
            try:
                self._conn.execute(_UNLOCK, {"name": self.name})
                self._conn.commit()
            except sa.exc.DBAPIError:
                self._conn.invalidate()  # closing the session frees the lock
            finally:
                self._conn.close()
        if self._file is not None:
            self._file.close()  # closing the file frees the flock
        if self._local is not None:
            self._local.release()


def _lock_dir(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve().parent / (Path(database).name + ".locks")


def _file_name(name: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def _try_pg(engine: Engine, name: str) -> Held | None:
    conn = engine.connect()
    try:
        got = bool(conn.execute(_TRY, {"name": name}).scalar())
        conn.commit()  # the session keeps the lock; no transaction stays open
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    if not got:
        conn.close()
        return None
    return Held(name, conn=conn)


def _try_file(folder: Path, name: str) -> Held | None:
    folder.mkdir(exist_ok=True)
    file = open(folder / _file_name(name), "ab")  # noqa: SIM115 - kept open while held
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        return None
    except BaseException:
        file.close()
        raise
    return Held(name, file=file)


def _try_local(name: str) -> Held | None:
    with _local_guard:
        lock = _local.setdefault(name, threading.Lock())
    return Held(name, local=lock) if lock.acquire(blocking=False) else None


def try_hold(engine: Engine, name: str) -> Held | None:
    """Take the lock ``name`` if it is free, else None at once."""
    if engine.dialect.name == "postgresql":
        return _try_pg(engine, name)
    folder = _lock_dir(engine)
    if folder is None:
        return _try_local(name)
    try:
        return _try_file(folder, name)
    except OSError as exc:
        raise StoreError(f"cannot take the lock {name!r} in {folder}: {exc.strerror}",
                         hint="the folder of the SQLite store must be writable") from None


def hold(engine: Engine, name: str, *, timeout: float) -> Held:
    """Take the lock ``name``, waiting up to ``timeout`` seconds for it."""
    deadline = time.monotonic() + timeout
    while True:
        held = try_hold(engine, name)
        if held is not None:
            return held
        if time.monotonic() >= deadline:
            raise LockTimeout(f"the lock {name!r} was still taken after {timeout:.0f} s",
                              hint="another process holds it; `billing-hub status` shows "
                                   "the runs under way")
        time.sleep(_POLL)


@contextlib.contextmanager
def holding(engine: Engine, name: str, *, timeout: float) -> Iterator[Held]:
    """The lock ``name`` for the length of the block (see :func:`hold`)."""
    held = hold(engine, name, timeout=timeout)
    try:
        yield held
    finally:
        held.release()
