"""The store: migrations match the schema on SQLite and PostgreSQL, and the
small modules over its tables keep their promises."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from hub.errors import RecordRejected, StoreError
from hub.outcomes import EntityCounts
from hub.store import audit, current_revision, cursors, head_revision, migrate, open_store
from hub.store import quarantine as q
from hub.store import runs as r
from hub.store.clock import utcnow
from hub.store.database import create_engine, downgrade
from hub.store.schema import metadata

TABLES = {"records", "links", "cursors", "quarantine", "outbox", "findings", "runs",
          "audit_log"}


def test_migrations_build_exactly_the_declared_schema(engine: Engine) -> None:
    assert set(sa.inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []
    assert current_revision(engine) == head_revision()


def test_downgrade_to_nothing_and_back(engine: Engine) -> None:
    downgrade(engine, "base")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    assert current_revision(engine) is None
    migrate(engine)
    migrate(engine)  # a second upgrade is a no-op
    assert set(sa.inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == head_revision()


def test_bad_urls_say_what_to_do() -> None:
    with pytest.raises(StoreError, match="cannot use store URL") as exc:
        create_engine("nosuchdb://x/y")
    assert "sqlite:///" in str(exc.value)
    with pytest.raises(StoreError, match="cannot migrate") as exc:
        open_store("postgresql+psycopg://nobody:secret-pw@127.0.0.1:1/none")
    assert "secret-pw" not in str(exc.value)
    assert "reachable" in str(exc.value)


def _reject(raw: str, reason: str = "bad date", ext: str | None = "INV-9") -> RecordRejected:
    return RecordRejected(reason, raw={"row": raw}, location="inv.csv:3", entity="invoice",
                          external_id=ext)


def test_quarantine_counts_a_record_seen_again(engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        assert q.add(conn, "books", "invoice", [_reject("a"), _reject("b", ext=None)],
                     run_id=None, now=now) == 2
        assert q.add(conn, "books", "invoice", [_reject("a", "still a bad date")],
                     run_id=None, now=now + timedelta(minutes=5)) == 0
    with engine.connect() as conn:
        entries = q.list_entries(conn)
        assert [e.times_seen for e in entries] == [2, 1]
        assert entries[0].reason == "still a bad date"
        assert entries[0].raw_value() == {"row": "a"}
        assert q.count_open(conn) == {("books", "invoice"): 2}
        assert q.has_open(conn, "books", "invoice")
    with engine.begin() as conn:
        assert q.resolve_superseded(conn, "books", "invoice", ["INV-9"], now) == 1
        q.mark_resolved(conn, entries[1].id, now)
    with engine.connect() as conn:
        assert q.list_entries(conn) == []
        assert len(q.list_entries(conn, status=None)) == 2
        assert q.get(conn, 999) is None


def test_cursors_save_load_clear(engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        assert cursors.load(conn, "books", "invoice") is None
        cursors.save(conn, "books", "invoice", "c1", run_id=None, now=now)
        cursors.save(conn, "books", "invoice", "c2", run_id=None, now=now)
        cursors.save(conn, "books", "payment", "p1", run_id=None, now=now)
        assert cursors.load(conn, "books", "invoice") == "c2"
        cursors.clear(conn, "books", "invoice")
        assert cursors.load(conn, "books", "invoice") is None
        assert cursors.load(conn, "books", "payment") == "p1"


def test_runs_record_counts_and_abandoned_runs_are_closed(engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        rid = r.start(conn, "sync", "books", now)
        r.add_counts(conn, rid, "invoice", EntityCounts(created=3, quarantined=1))
        r.add_counts(conn, rid, "invoice", EntityCounts(unchanged=2))
        r.finish(conn, rid, r.SUCCEEDED, now + timedelta(seconds=2))
        dead = r.start(conn, "sync", "books", now)
        conn.execute(sa.update(sa.table("runs", sa.column("id"), sa.column("pid")))
                     .where(sa.column("id") == dead).values(pid=2**22 + 12345))
        assert r.live_run(conn, "sync", "books") is None
        assert r.close_abandoned(conn, "sync", "books", now) == [dead]
    with engine.connect() as conn:
        done = r.get(conn, rid)
        assert done is not None and done.status == "succeeded"
        assert done.counts["invoice"] == EntityCounts(created=3, unchanged=2, quarantined=1)
        assert [x.status for x in r.recent(conn)] == ["interrupted", "succeeded"]


def test_audit_log_keeps_who_did_what(engine: Engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, "finding.ack", subject="finding:1", actor="ana",
                     details={"note": "called the customer"})
        audit.record(conn, "run.interrupted", subject="run:2")
    with engine.connect() as conn:
        latest, first = audit.recent(conn)
    assert (first.actor, first.action, first.details) == (
        "ana", "finding.ack", {"note": "called the customer"})
    assert latest.actor == audit.default_actor()
