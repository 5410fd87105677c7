"""The store's memory of webhook deliveries: each (connector, delivery id) is taken in
once, also when copies arrive at the same moment, with its hints in the same
transaction; migration 0002 adds and removes the table on both stores."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.contract.webhooks import ChangeHint, WebhookReceipt
from hub.store import current_revision, cursors, deliveries, head_revision, migrate
from hub.store.clock import utcnow
from hub.store.database import downgrade
from hub.store.schema import webhook_deliveries


def _rows(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [(r.connector, r.delivery_id, r.status) for r in conn.execute(
            sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id))]


def test_a_delivery_is_taken_in_once_per_connector_with_its_hints(engine: Engine) -> None:
    now = utcnow()
    hints = (ChangeHint("invoice", "in_1"), ChangeHint("customer", "cus_1", deleted=True))
    with engine.begin() as conn:
        guard = deliveries.DeliveryIntake(conn, "stripe", now)
        assert guard.first_time("evt_1")
        assert not guard.first_time("evt_1")
        assert guard.record(WebhookReceipt("evt_1", hints))
    with engine.begin() as conn:
        again = deliveries.DeliveryIntake(conn, "stripe", now)
        assert not again.first_time("evt_1")
        other = deliveries.DeliveryIntake(conn, "stripe-eu", now)  # another account's endpoint
        assert other.first_time("evt_1")
        assert other.record(WebhookReceipt("evt_1"))  # an event about nothing the hub pulls
    with engine.connect() as conn:
        due = deliveries.due(conn, utcnow())
    assert [(d.connector, d.delivery_id, d.hints) for d in due] == [("stripe", "evt_1", hints)]
    assert _rows(engine) == [("stripe", "evt_1", "pending"), ("stripe-eu", "evt_1", "processed")]


def test_a_receipt_the_guard_was_never_asked_about_is_still_taken_once(engine: Engine) -> None:
    with engine.begin() as conn:
        assert deliveries.DeliveryIntake(conn, "acme", utcnow()).record(
            WebhookReceipt("sha256:ab", (ChangeHint("invoice"),)))
    with engine.begin() as conn:
        assert not deliveries.DeliveryIntake(conn, "acme", utcnow()).record(
            WebhookReceipt("sha256:ab", (ChangeHint("invoice"),)))
    assert _rows(engine) == [("acme", "sha256:ab", "pending")]


def test_a_rolled_back_intake_leaves_nothing_behind(engine: Engine) -> None:
    conn = engine.connect()
    try:
        with conn.begin() as txn:
            assert deliveries.DeliveryIntake(conn, "stripe", utcnow()).first_time("evt_9")
            txn.rollback()  # verification failed after the guard was asked
    finally:
        conn.close()
    assert _rows(engine) == []
    with engine.begin() as conn:
        assert deliveries.DeliveryIntake(conn, "stripe", utcnow()).first_time("evt_9")


def test_copies_arriving_at_once_are_taken_in_exactly_once(engine: Engine) -> None:
    copies, rounds = 6, 10
    barrier = threading.Barrier(copies)
    answers: dict[str, list[bool]] = {f"evt_{n}": [] for n in range(rounds)}
    lock = threading.Lock()

    def deliver() -> None:
        for delivery_id in answers:
            barrier.wait()
            with engine.begin() as conn:
                new = deliveries.DeliveryIntake(conn, "stripe", utcnow()).first_time(delivery_id)
            with lock:
                answers[delivery_id].append(new)

    threads = [threading.Thread(target=deliver) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {k: sorted(v) for k, v in answers.items()} == {
        k: [False] * (copies - 1) + [True] for k in answers}
    assert len(_rows(engine)) == rounds


def _until_blocked(first: sa.Connection, thread: threading.Thread) -> None:
    """Return once the copy's insert waits on the first transaction's row.

    PostgreSQL shows the waiting insert in pg_stat_activity; SQLite's busy
    handler shows nothing, so the copy is given a moment to finish, which it
    could only do if it did not wait (a copy slow to start just proves less).
    """
    if first.dialect.name != "postgresql":
        thread.join(0.3)
        return
    watcher = first.engine.connect()
    try:
        deadline = time.monotonic() + 30
        while not watcher.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO webhook_deliveries%'")).scalar():
            assert time.monotonic() < deadline, "the copy never waited for the first insert"
            watcher.rollback()
            time.sleep(0.01)
    finally:
        watcher.close()


def _copy_after_open_transaction(engine: Engine, delivery_id: str, ending: str) -> bool:
    """Take ``delivery_id`` in an open transaction, send a copy meanwhile, then end the
    first transaction with ``ending``; what the copy was told."""
    first = engine.connect()
    txn = first.begin()
    assert deliveries.DeliveryIntake(first, "stripe", utcnow()).first_time(delivery_id)
    started = threading.Event()
    outcome: list[bool] = []

    def copy() -> None:
        with engine.begin() as conn:
            started.set()
            outcome.append(
                deliveries.DeliveryIntake(conn, "stripe", utcnow()).first_time(delivery_id))

    thread = threading.Thread(target=copy)
    thread.start()
    started.wait()
    _until_blocked(first, thread)
    assert thread.is_alive() and outcome == []  # no answer while the first one is open
    if ending == "commit":
        txn.commit()
    else:
        txn.rollback()
    first.close()
    thread.join()
    (told,) = outcome
    return told


def test_a_copy_waits_for_the_first_transaction_and_follows_its_outcome(engine: Engine) -> None:
    """The second insert blocks on the first one's uncommitted row: after a commit the copy
    is a duplicate, after a rollback it is the one taken in."""
    assert _copy_after_open_transaction(engine, "evt_commit", "commit") is False
    assert _copy_after_open_transaction(engine, "evt_rollback", "rollback") is True
    assert _rows(engine) == [("stripe", "evt_commit", "pending"),
                             ("stripe", "evt_rollback", "pending")]


def test_processed_failed_due_and_pruned(engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        for n in range(3):
            guard = deliveries.DeliveryIntake(conn, "stripe", now - timedelta(days=40 - n))
            guard.record(WebhookReceipt(f"evt_{n}", (ChangeHint("invoice", f"in_{n}"),)))
    with engine.begin() as conn:
        ids = [d.id for d in deliveries.due(conn, now)]
        deliveries.mark_processed(conn, ids[:1], now, run_id=None)
        deliveries.mark_failed(conn, ids[1:2], "Stripe did not answer", now + timedelta(minutes=5))
    with engine.begin() as conn:
        assert [d.delivery_id for d in deliveries.due(conn, now)] == ["evt_2"]
        later = deliveries.due(conn, now + timedelta(minutes=5))
        assert [d.delivery_id for d in later] == ["evt_1", "evt_2"]
        failed = later[0]
        assert (failed.status, failed.attempts, failed.last_error) == (
            "failed", 1, "Stripe did not answer")
        assert deliveries.count_by_status(conn) == {"pending": 1, "processed": 1, "failed": 1}
        assert deliveries.prune(conn, now - timedelta(days=30)) == 1  # processed ones only
        assert [d.delivery_id for d in deliveries.recent(conn)] == ["evt_2", "evt_1"]


def test_migration_0002_adds_and_removes_only_the_deliveries_table(engine: Engine) -> None:
    with engine.begin() as conn:
        cursors.save(conn, "books", "invoice", "c1", run_id=None, now=utcnow())
        deliveries.DeliveryIntake(conn, "stripe", utcnow()).first_time("evt_1")
    downgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    assert "webhook_deliveries" not in sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert cursors.load(conn, "books", "invoice") == "c1"
    migrate(engine)
    assert current_revision(engine) == head_revision()
    inspector = sa.inspect(engine)
    assert {u["name"] for u in inspector.get_unique_constraints("webhook_deliveries")} == {
        "uq_webhook_deliveries_connector_delivery_id"}
    assert _rows(engine) == []  # the memory went with the table; everything else stayed
    with engine.connect() as conn:
        assert cursors.load(conn, "books", "invoice") == "c1"
