"""Test stores: SQLite always, PostgreSQL when BILLING_HUB_TEST_DATABASE_URL is set
(a schema of its own for each test, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import sqlalchemy as sa

PG_URL = os.environ.get("BILLING_HUB_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A URL into a new, empty schema of the test PostgreSQL, dropped afterwards."""
    schema = f"bh_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
