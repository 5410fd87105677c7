"""The store: migrations match the schema on SQLite and PostgreSQL, and the
small modules over its tables keep their promises."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from hub.contract.outcomes import EntityCounts
from hub.errors import RecordRejected, StoreError
from hub.models import Invoice
from hub.secrets import treat_as_secret
from hub.store import audit, current_revision, cursors, head_revision, migrate, open_store
from hub.store import quarantine as q
from hub.store import records as rec
from hub.store import runs as r
from hub.store import stored as st
from hub.store.clock import utcnow
from hub.store.database import create_engine, downgrade
from hub.store.schema import metadata, records, runs
from tests.support.stores import PG_URL

TABLES = {"records", "links", "cursors", "quarantine", "outbox", "findings", "runs",
          "audit_log", "webhook_deliveries", "credentials", "reminders", "payer_aliases",
          "disputes", "promises", "contact_blocks", "contact_events", "invoice_sends",
          "record_history", "finding_history",
          "run_totals", "run_controls", "reconcile_measures", "reconcile_open_findings",
          "payment_plans", "payment_plan_invoices"}


def _diffs(engine: Engine) -> list[object]:
    opts = {"compare_type": True, "compare_server_default": True}
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts=opts), metadata))


def test_migrations_build_exactly_the_declared_schema(store_url: str) -> None:
    replayed = create_engine(store_url)
    try:
        assert migrate(replayed, replay=True)  # every migration, one after the other
        assert set(sa.inspect(replayed).get_table_names()) == TABLES | {"alembic_version"}
        assert set(metadata.tables) == TABLES
        assert _diffs(replayed) == []
        assert current_revision(replayed) == head_revision()
    finally:
        replayed.dispose()


def test_a_new_store_is_the_declared_schema_stamped_at_the_newest_revision(
        engine: Engine) -> None:
    # what open_store does to an empty store: the same tables the migrations build (the
    # test above), created at once and stamped, so that the next migration applies to it
    assert set(sa.inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    assert _diffs(engine) == []
    assert current_revision(engine) == head_revision()
    downgrade(engine, "0010")  # the migrations' own downgrade works on it
    assert "payment_plans" not in sa.inspect(engine).get_table_names()
    assert migrate(engine)
    assert _diffs(engine) == []


def test_the_comparison_would_see_a_drift(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("DROP INDEX ix_findings_status_kind"))
    found = {d[0] for d in _diffs(engine) if isinstance(d, tuple)}
    assert {"remove_table", "add_index"} <= found


def test_downgrade_to_nothing_and_back(engine: Engine) -> None:
    downgrade(engine, "base")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    assert current_revision(engine) is None
    migrate(engine)
    assert set(sa.inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == head_revision()
    assert _diffs(engine) == []


def test_migrating_again_is_a_no_op_that_keeps_the_data(engine: Engine, store_url: str) -> None:
    with engine.begin() as conn:
        cursors.save(conn, "books", "invoice", "c1", run_id=None, now=utcnow())
    migrate(engine)
    again = open_store(store_url)  # what every command does on start
    try:
        assert current_revision(again) == head_revision()
        with again.connect() as conn:
            assert cursors.load(conn, "books", "invoice") == "c1"
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        assert versions == [(head_revision(),)]
    finally:
        again.dispose()


def test_a_store_from_a_newer_billing_hub_is_explained(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="9999_future") as exc:
        migrate(engine)
    assert "newer billing-hub" in str(exc.value) and head_revision() in str(exc.value)


def test_bad_urls_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot use store URL") as exc:
        create_engine("nosuchdb://x/y")
    assert "sqlite:///" in str(exc.value)
    with pytest.raises(StoreError, match="cannot use store URL") as exc:
        create_engine("not a url with secret-pw")
    assert "secret-pw" not in str(exc.value)
    with pytest.raises(StoreError, match="cannot migrate") as exc:
        open_store("postgresql+psycopg://nobody:secret-pw@127.0.0.1:1/none")
    assert "secret-pw" not in str(exc.value)
    assert "reachable" in str(exc.value)
    with pytest.raises(StoreError, match="cannot migrate the store: unable to open") as exc:
        open_store(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'hub.db'}")
    assert "URL in [store]" in str(exc.value)
    unreachable = create_engine("postgresql+psycopg://nobody:secret-pw@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="cannot read the store's schema version") as exc:
        current_revision(unreachable)
    assert "secret-pw" not in str(exc.value)


@pytest.mark.skipif(not PG_URL, reason="needs BILLING_HUB_TEST_DATABASE_URL")
def test_a_database_where_tables_cannot_be_created_is_explained() -> None:
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3Dbh_no_such_schema"
    with pytest.raises(StoreError, match="cannot migrate the store") as exc:
        open_store(url)
    assert "may create and alter tables" in str(exc.value)


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
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        audit.record(conn, "finding.ack", subject="finding:1", actor="ana",
                     details={"note": "called the customer", "amount": Decimal("10.50")}, at=at)
        audit.record(conn, "run.interrupted", subject="run:2")
        for i in range(3):
            audit.record(conn, "link.created", subject=f"link:{i}", actor="bo")
    with engine.connect() as conn:
        entries = audit.recent(conn)
        assert [e.subject for e in audit.recent(conn, limit=2)] == ["link:2", "link:1"]
    assert [e.action for e in entries] == ["link.created"] * 3 + ["run.interrupted",
                                                                   "finding.ack"]
    first = entries[-1]
    assert (first.actor, first.at, first.details) == (
        "ana", at, {"note": "called the customer", "amount": "10.50"})  # exact, as text
    assert entries[-2].actor == audit.default_actor() and entries[-2].details == {}
    assert entries[-2].at.utcoffset() == timedelta(0)


def test_a_resolved_entry_seen_again_is_reopened(engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        q.add(conn, "books", "invoice", [_reject("a")], run_id=None, now=now)
        q.add(conn, "bank", "invoice", [_reject("a")], run_id=None, now=now)  # other source
        (entry, _) = q.list_entries(conn)
        q.mark_resolved(conn, entry.id, now)
        assert q.count_open(conn) == {("bank", "invoice"): 1}
        assert q.add(conn, "books", "invoice", [_reject("a")], run_id=None,
                     now=now + timedelta(hours=1)) == 0
    with engine.connect() as conn:
        again = q.get(conn, entry.id)
        assert again is not None and again.status == q.OPEN and again.times_seen == 2
        assert again.first_seen_at == now and again.last_seen_at == now + timedelta(hours=1)
        assert [e.source for e in q.list_entries(conn, source="bank")] == ["bank"]


def test_cursors_are_per_source_and_entity(engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        for source, entity in (("books", "invoice"), ("books", "payment"), ("bank", "invoice")):
            cursors.save(conn, source, entity, f"{source}/{entity}", run_id=None, now=now)
        cursors.clear(conn, "books")  # every entity of one source
        assert cursors.load(conn, "books", "invoice") is None
        assert cursors.load(conn, "books", "payment") is None
        assert cursors.load(conn, "bank", "invoice") == "bank/invoice"


def test_runs_keep_their_times_exactly_and_in_utc(engine: Engine) -> None:
    started = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    with engine.begin() as conn:
        rid = r.start(conn, "sync", "books", started)
        r.finish(conn, rid, r.FAILED, started + timedelta(minutes=3), error="boom")
    with engine.connect() as conn:
        run = r.get(conn, rid)
        assert r.get(conn, rid + 1) is None
    assert run is not None
    assert run.started_at == started and run.started_at.utcoffset() == timedelta(0)
    assert run.finished_at == started + timedelta(minutes=3)
    assert (run.status, run.error, run.kind, run.connector) == ("failed", "boom", "sync", "books")


def _ended(engine: Engine, body: Callable[[r.Outcome], None],
           ) -> tuple[str, str | None, type[BaseException] | None]:
    """How a run under ``recorded`` was recorded, and what its block raised."""
    with engine.begin() as conn:
        rid = r.start(conn, "push", "books", utcnow())
    raised: type[BaseException] | None = None
    try:
        with r.recorded(engine, rid, utcnow) as outcome:
            body(outcome)
    except BaseException as exc:
        raised = type(exc)
    with engine.connect() as conn:
        run = r.get(conn, rid)
    assert run is not None and run.finished_at is not None
    return run.status, run.error, raised


def test_a_recorded_run_ends_the_way_its_block_did(engine: Engine) -> None:
    secret = f"sk_test_{uuid.uuid4().hex}"
    treat_as_secret(secret)

    def crash(_: r.Outcome) -> None:
        raise ValueError(f"bad answer for key {secret}")

    def stopped(_: r.Outcome) -> None:
        raise KeyboardInterrupt

    def refused(_: r.Outcome) -> None:
        raise StoreError("the store is read-only", hint="ask for write access")

    assert _ended(engine, lambda o: None) == ("succeeded", None, None)
    assert _ended(engine, lambda o: o.fail("3 refused")) == ("failed", "3 refused", None)
    assert _ended(engine, crash) == (
        "failed", "ValueError: bad answer for key **********", ValueError)
    assert _ended(engine, stopped) == (
        "interrupted", "stopped by the user (Ctrl-C)", KeyboardInterrupt)
    status, error, raised = _ended(engine, refused)
    assert (status, raised) == ("failed", StoreError)
    assert error is not None and error.startswith("the store is read-only")


def test_a_run_whose_process_is_alive_is_left_alone(engine: Engine) -> None:
    now = utcnow()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with engine.begin() as conn:
            rid = r.start(conn, "sync", "books", now)
            other_host = r.start(conn, "sync", "books", now)
            conn.execute(runs.update().where(runs.c.id == rid).values(pid=child.pid))
            conn.execute(runs.update().where(runs.c.id == other_host)
                         .values(pid=child.pid, host=socket.gethostname() + "-elsewhere"))
            mine = r.start(conn, "sync", "books", now)  # this process: never "live" to itself
            assert r.live_run(conn, "sync", "books") == (rid, child.pid)
            assert r.live_run(conn, "sync", "bank") is None
            assert r.close_abandoned(conn, "sync", "books", now) == []
        child.kill()
        child.wait()
        with engine.begin() as conn:
            assert r.live_run(conn, "sync", "books") is None
            assert r.close_abandoned(conn, "sync", "books", now) == [rid]
            closed = r.get(conn, rid)
            assert closed is not None and closed.status == r.INTERRUPTED
            assert closed.error is not None and "killed or crashed" in closed.error
            # a run on another machine is not this machine's to judge; ours is still running
            for kept in (other_host, mine):
                got = r.get(conn, kept)
                assert got is not None and got.status == r.RUNNING
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _inv(ext: str, total: str, **extra: object) -> Invoice:
    return Invoice.model_validate({"source": "books", "external_id": ext, "number": f"INV-{ext}",
                                   "issue_date": date(2026, 3, 1), "currency": "USD",
                                   "total": Decimal(total), **extra})


def test_a_record_marked_deleted_is_kept_left_out_and_revived_when_given_again(
        engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        rec.upsert(conn, "books", "invoice", [rec.prepare(_inv("1", "10.00")),
                                              rec.prepare(_inv("2", "20.00"))],
                   run_id=None, now=now)
        assert rec.mark_deleted(conn, "books", "invoice", ["1", "1", "never-seen"], now=now) == 1
        assert rec.mark_deleted(conn, "books", "invoice", ["1"], now=now) == 0
        assert rec.mark_deleted(conn, "shop", "invoice", ["2"], now=now) == 0
    with engine.connect() as conn:
        assert [s.external_id for s in st.iter_records(conn, entity="invoice")] == ["2"]
        assert len(list(st.iter_records(conn, entity="invoice", include_deleted=True))) == 2
    with engine.begin() as conn:  # the source gives it again, unchanged: it is back
        again = rec.upsert(conn, "books", "invoice", [rec.prepare(_inv("1", "10.00"))],
                           run_id=None, now=now)
    assert again.counts == EntityCounts(updated=1)
    with engine.connect() as conn:
        assert [s.external_id for s in st.iter_records(conn, entity="invoice")] == ["1", "2"]
    with engine.begin() as conn:  # deleted and given again within one run: revived, no repeat
        run = r.start(conn, "sync", "books", now)
        rec.mark_deleted(conn, "books", "invoice", ["2"], now=now)
        within = rec.upsert(conn, "books", "invoice", [rec.prepare(_inv("2", "20.00"))],
                            run_id=run, now=now)
    assert (within.counts, within.repeated) == (EntityCounts(updated=1), [])


def test_upsert_counts_new_changed_and_unchanged_records(engine: Engine) -> None:
    now = utcnow()

    def page(*invoices: Invoice, run_id: int | None = None) -> EntityCounts:
        with engine.begin() as conn:
            result = rec.upsert(conn, "books", "invoice", [rec.prepare(i) for i in invoices],
                                run_id=run_id, now=now)
        assert result.repeated == []
        return result.counts

    assert page(_inv("1", "10.00"), _inv("2", "20.00")) == EntityCounts(created=2)
    assert page(_inv("1", "10.00"), _inv("2", "20.00")) == EntityCounts(unchanged=2)
    assert page(_inv("1", "10.00"), _inv("2", "25.00"), _inv("3", "5.00")) == EntityCounts(
        created=1, updated=1, unchanged=1)
    # the raw payload is part of what is compared: the source said something new
    assert page(_inv("1", "10.00", raw={"Memo": "now with a memo"})) == EntityCounts(updated=1)
    with engine.connect() as conn:
        stored = {s.external_id: s.as_dict() for s in st.iter_records(conn, entity="invoice")}
        row = conn.execute(sa.select(records.c.amount_minor, records.c.open_minor)
                           .where(records.c.external_id == "2")).one()
    assert stored["2"]["total"] == "25.00" and stored["1"]["total"] == "10.00"
    assert tuple(row) == (2500, 2500)
    assert Invoice.model_validate_json(_json_of(engine, "2")) == _inv("2", "25.00")


def _json_of(engine: Engine, external_id: str) -> str:
    with engine.connect() as conn:
        data: str = conn.execute(sa.select(records.c.data)
                                 .where(records.c.external_id == external_id)).scalar_one()
    return data


def test_one_id_twice_in_one_run_is_handed_back_not_overwritten(engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        run_id = r.start(conn, "sync", "books", now)
        first = rec.upsert(conn, "books", "invoice", [rec.prepare(_inv("1", "10.00"))],
                           run_id=run_id, now=now)
        again = rec.upsert(conn, "books", "invoice", [rec.prepare(_inv("1", "99.00"))],
                           run_id=run_id, now=now)
    assert first.counts == EntityCounts(created=1)
    assert again.counts == EntityCounts() and again.repeated == ["1"]
    assert Invoice.model_validate_json(_json_of(engine, "1")).total == Decimal("10.00")
