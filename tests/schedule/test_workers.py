"""procrastinate workers on the PostgreSQL store: a queued sync runs and records a
run; two workers never sync one connector at once; one waiting job per connector;
retries, then failed with the error shown; the schedule's periodic jobs.

procrastinate's tables are made in the test's own schema (the store URL's
``search_path`` is passed to procrastinate's connection), dropped with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from hub.cli import exits
from hub.config import HubConfig, load_config
from hub.contract.connector import Connector, ConnectorSpec, EntitySupport
from hub.contract.hookspecs import hookimpl
from hub.contract.page import Page
from hub.errors import ConfigError, TransientError
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.schedule import cron
from hub.schedule.settings import ScheduleSettings
from hub.schedule.work import JobRunner
from hub.store import open_store
from hub.store.schema import runs
from tests.support.hub import cli, cli_process, wait_for, write_config
from tests.support.invoices import BOOKS, GOOD
from tests.support.stores import PG_URL, fresh_pg_schema

pytestmark = [
    pytest.mark.skipif(not PG_URL,
                       reason="workers need PostgreSQL: set BILLING_HUB_TEST_DATABASE_URL"),
    pytest.mark.usefixtures("wide_console"),
]

if PG_URL:
    from procrastinate import App
    from procrastinate.exceptions import AlreadyEnqueued
    from procrastinate.periodic import PeriodicDeferrer, PeriodicRegistry

    from hub.workers.app import JobEvent, build_app, defer, work
    from hub.workers.database import ensure_schema, has_schema
    from hub.workers.listing import latest_jobs


# -- a connector that takes its time, and says when it ran ---------------------------

class ProbeSettings(BaseModel):
    seconds: float = 0.0
    fail: str | None = None  # "transient" or "config"


@dataclass
class Visit:
    connector: str
    start: float
    end: float


VISITS: list[Visit] = []


class ProbeConnector(Connector):
    def entities(self) -> Sequence[str]:
        return ["invoice"]

    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        settings = self.context.config
        assert isinstance(settings, ProbeSettings)
        start = time.monotonic()
        time.sleep(settings.seconds)
        VISITS.append(Visit(self.name, start, time.monotonic()))
        if settings.fail == "transient":
            raise TransientError("the service answered 503", connector=self.name)
        if settings.fail == "config":
            raise ConfigError("the account id is wrong", path=f"connectors.{self.name}")
        yield Page(records=[], cursor="done")


def _probe_plugin() -> object:
    def hub_connectors() -> Any:
        yield ConnectorSpec(name="probe", description="waits, then pulls nothing",
                            config_model=ProbeSettings, entities=(EntitySupport("invoice"),),
                            factory=lambda ctx: ProbeConnector(ctx))
    return types.SimpleNamespace(hub_connectors=hookimpl(hub_connectors))


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_schema() as url:
        yield url


@dataclass
class Setup:
    config: HubConfig
    runner: JobRunner
    events: list[JobEvent]

    def app(self, events: list[JobEvent] | None = None) -> App:
        return build_app(self.runner, self.runner.engine.url,
                         report=(events if events is not None else self.events).append)


@pytest.fixture
def make(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoices.csv").write_text(GOOD, encoding="utf-8")
    VISITS.clear()
    engines = []

    def setup(body: str = "") -> Setup:
        config = load_config(write_config(tmp_path, pg_url, BOOKS + body))
        engine = open_store(config.store_url())
        engines.append(engine)
        registry = load_plugins(extra=[("probe", _probe_plugin())])
        ensure_schema(engine)
        return Setup(config, JobRunner(Hub(config, registry, engine)), [])

    yield setup
    for engine in engines:
        engine.dispose()


def _run_until_idle(app: App) -> None:
    app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)


@contextlib.contextmanager
def worker_thread(app: App, name: str, **options: Any) -> Iterator[Callable[[], None]]:
    """A worker that waits for jobs, in its own thread and event loop, stopped on exit
    or by the function it yields (the way SIGTERM stops `billing-hub worker`: after
    the job in hand)."""
    ready = threading.Event()
    held: dict[str, Any] = {}

    async def main() -> None:
        async with app.open_async():
            held["loop"] = asyncio.get_running_loop()
            held["stopping"] = asyncio.Event()
            ready.set()
            await work(app, name, held["stopping"], listen_notify=False,
                       fetch_job_polling_interval=0.05, **options)

    def stop() -> None:
        held["loop"].call_soon_threadsafe(held["stopping"].set)

    thread = threading.Thread(target=lambda: asyncio.run(main()), name=name)
    thread.start()
    assert ready.wait(30)
    try:
        yield stop
    finally:
        if thread.is_alive():
            stop()
        thread.join(60)
        assert not thread.is_alive()


def _runs(setup: Setup) -> list[tuple[str, str, Any, Any]]:
    with setup.runner.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            sa.select(runs.c.connector, runs.c.status, runs.c.started_at, runs.c.finished_at)
            .where(runs.c.kind == "sync").order_by(runs.c.id))]


def _status(app: App, job_id: int) -> tuple[str, int]:
    with app.open():
        job = app.job_manager.list_jobs(id=job_id)[0]
    return str(job.status), job.attempts


# -- the tests -------------------------------------------------------------------------

def test_the_queue_s_tables_live_in_the_store_s_schema(make: Any, pg_url: str) -> None:
    setup = make()
    engine = setup.runner.engine
    assert has_schema(engine) and not ensure_schema(engine)  # made once, by `make`
    schema = sa.engine.make_url(pg_url).query["options"].split("=")[-1]
    with engine.connect() as conn:
        where = conn.execute(sa.text(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'procrastinate_jobs'")).scalars().all()
    assert where == [schema]


def test_a_queued_sync_runs_in_a_worker_and_records_a_run(make: Any) -> None:
    setup = make()
    app = setup.app()
    with app.open():
        job_id = defer(app, "sync", "books")
    assert _status(app, job_id) == ("todo", 0)
    _run_until_idle(app)
    assert _status(app, job_id) == ("succeeded", 1)  # attempts made
    assert [r[:2] for r in _runs(setup)] == [("books", "succeeded")]
    mine = [e for e in setup.events if e.job_id == job_id]
    assert [(e.kind, e.what) for e in mine] == [("started", "sync of books"),
                                                ("done", "sync of books")]
    assert mine[1].text == "run 1: 2 records (2 new, 0 updated, 0 unchanged)"


def test_two_workers_never_sync_one_connector_at_once(make: Any) -> None:
    setup = make("""
        [connectors.slow]
        type = "probe"
        seconds = 1.5
        [connectors.other]
        type = "probe"
        seconds = 0.2
    """)
    first, second, client = setup.app(), setup.app(), setup.app()
    with client.open():
        defer(client, "sync", "slow")
        defer(client, "sync", "other")
    with worker_thread(first, "worker-a"), worker_thread(second, "worker-b"):
        # once the first sync of slow runs, a second one may wait (its queueing lock is
        # free); the worker that synced other is idle then, and must leave it alone
        wait_for(lambda: any(e.kind == "started" and e.what == "sync of slow"
                             for e in setup.events), "a worker to start syncing slow")
        wait_for(lambda: any(e.kind == "done" and e.what == "sync of other"
                             for e in setup.events), "the other sync to finish")
        with client.open():
            defer(client, "sync", "slow")
        wait_for(lambda: sum(e.kind == "done" for e in setup.events) == 3,
                 "the three syncs to finish", timeout=60)
    slow = sorted((v for v in VISITS if v.connector == "slow"), key=lambda v: v.start)
    other = next(v for v in VISITS if v.connector == "other")
    assert len(slow) == 2
    assert slow[0].end <= slow[1].start  # never at once...
    assert other.start < slow[0].end and slow[0].start < other.end  # ...though workers do
    recorded = [r for r in _runs(setup) if r[0] == "slow"]
    assert [r[1] for r in recorded] == ["succeeded", "succeeded"]
    assert recorded[0][3] <= recorded[1][2]  # the recorded runs agree


def test_one_waiting_job_per_connector(make: Any, capsys: pytest.CaptureFixture[str]) -> None:
    setup = make()
    app = setup.app()
    with app.open():
        job_id = defer(app, "sync", "books")
        with pytest.raises(AlreadyEnqueued):
            defer(app, "sync", "books")
        other = defer(app, "reconcile")
        assert other != job_id
    code, out, _ = cli(capsys, "jobs", "defer", "sync", "books")
    assert code == exits.OK and "A sync of books already waits in the queue" in out
    with app.open():
        assert [j.id for j in app.job_manager.list_jobs(status="todo")] == [job_id, other]
    _run_until_idle(app)
    code, out, _ = cli(capsys, "jobs", "defer", "sync", "books")
    assert code == exits.OK and "Queued job" in out and ": sync of books." in out


def test_a_failing_sync_is_retried_then_failed_with_its_error_listed(
        make: Any, capsys: pytest.CaptureFixture[str]) -> None:
    setup = make("""
        [connectors.flaky]
        type = "probe"
        fail = "transient"
        [connectors.wrong]
        type = "probe"
        fail = "config"
        [schedule]
        retries = 2
        retry_wait_seconds = 0
    """)
    app = setup.app()
    with app.open():
        flaky = defer(app, "sync", "flaky")
        wrong = defer(app, "sync", "wrong")
    _run_until_idle(app)
    assert _status(app, flaky) == ("failed", 3)  # the first try and 2 retries
    assert _status(app, wrong) == ("failed", 1)  # a configuration error: once
    assert [v.connector for v in VISITS].count("flaky") == 3
    assert [r[:2] for r in _runs(setup) if r[0] == "flaky"] == [("flaky", "failed")] * 3
    failed = [(e.job_id, e.attempt, e.retry_in) for e in setup.events if e.kind == "failed"]
    assert [f for f in failed if f[0] == flaky] == [(flaky, 1, 0.0), (flaky, 2, 0.0),
                                                    (flaky, 3, None)]
    assert [f for f in failed if f[0] == wrong] == [(wrong, 1, None)]
    listed = {j.id: j for j in latest_jobs(setup.runner.engine)}
    assert listed[flaky].error == "[flaky] the service answered 503"
    assert listed[wrong].error == "connectors.wrong: the account id is wrong"
    code, out, _ = cli(capsys, "jobs", "list", "--status", "failed")
    assert code == exits.OK
    assert "sync of flaky" in out and "[flaky] the service answered 503" in out
    assert "connectors.wrong: the account id is wrong" in out


def test_the_schedule_becomes_periodic_jobs_due_at_the_right_times(make: Any) -> None:
    setup = make("""
        [[schedule.jobs]]
        connector = "books"
        every = "15m"
        [[schedule.jobs]]
        task = "reconcile"
        cron = "0 6 * * 1-5"
    """)
    app = setup.app()
    periodic = {pid: p for (_, pid), p in app.periodic_registry.periodic_tasks.items()}
    assert set(periodic) == {"sync:books@*/15 * * * *", "reconcile@0 6 * * 1-5", "stalled"}
    sync = periodic["sync:books@*/15 * * * *"]
    assert (sync.task.name, sync.cron) == ("billing_hub.sync", "*/15 * * * *")
    assert sync.configure_kwargs == {"lock": "sync:books", "queueing_lock": "sync:books",
                                     "task_kwargs": {"connector": "books"}}
    # procrastinate's own deferrer agrees with our next-run computation, at fixed times
    at = datetime(2026, 3, 6, 5, 53, 20, tzinfo=UTC)  # a Friday
    ours = PeriodicRegistry()
    ours.periodic_tasks = {k: p for k, p in app.periodic_registry.periodic_tasks.items()
                           if k[1] != "stalled"}
    assert PeriodicDeferrer(registry=ours).get_next_tick(at=at.timestamp()) == 400  # 06:00:00
    for job in ScheduleSettings.of(setup.config).jobs:
        p = periodic[f"{job.key}@{job.schedule}"]
        theirs = p.croniter.get_next(float, start_time=at.timestamp())
        assert theirs == cron.next_after(job.schedule, at).timestamp()
    assert cron.next_after("0 6 * * 1-5", datetime(2026, 3, 6, 6, 0, tzinfo=UTC)) == (
        datetime(2026, 3, 9, 6, 0, tzinfo=UTC))

    # two workers' deferrers at one tick: one job, whatever the number of workers
    tick = datetime(2026, 3, 6, 6, 0, tzinfo=UTC).timestamp()

    async def two_deferrers() -> None:
        async with app.open_async():
            for _ in range(2):
                deferrer = PeriodicDeferrer(registry=app.periodic_registry, max_delay=60)
                await deferrer.defer_jobs(deferrer.get_previous_tasks(at=tick + 5))

    asyncio.run(two_deferrers())
    with app.open():
        queued = sorted((j.task_name, j.lock) for j in app.job_manager.list_jobs(status="todo"))
    assert queued == [("billing_hub.reconcile", "reconcile"),
                      ("billing_hub.requeue_stalled", None),
                      ("billing_hub.sync", "sync:books")]
    # the worker's own deferrer would queue the real clock's last tick too (within
    # procrastinate's 10 minutes), a second sync whenever the first has started
    app.periodic_registry.periodic_tasks.clear()
    _run_until_idle(app)
    assert [r[:2] for r in _runs(setup)] == [("books", "succeeded")]


def test_jobs_list_shows_queued_and_done(make: Any, capsys: pytest.CaptureFixture[str]) -> None:
    setup = make()
    code, out, _ = cli(capsys, "jobs", "defer", "reconcile")
    assert code == exits.OK
    code, out, _ = cli(capsys, "jobs", "list")
    assert code == exits.OK and "reconcile" in out and "queued" in out
    _run_until_idle(setup.app())
    code, out, _ = cli(capsys, "jobs", "list")
    assert "done" in out
    code, _, err = cli(capsys, "jobs", "defer", "sync")
    assert code == exits.USAGE and "needs the connector" in err
    code, _, err = cli(capsys, "jobs", "defer", "sync", "nope")
    assert code == exits.USAGE and "no connector named 'nope'" in err


@pytest.mark.slow
def test_billing_hub_worker_runs_queued_jobs_and_stops_on_sigterm(
        make: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import signal

    make()  # the config, the store and the queue's tables
    with cli_process("worker", "--name", "w1", cwd=tmp_path) as (proc, lines):
        wait_for(lambda: any("worker w1: waiting for jobs" in line for line in lines),
                 "the worker to start")
        assert cli(capsys, "jobs", "defer", "sync", "books")[0] == exits.OK
        wait_for(lambda: any("sync of books done" in line for line in lines),
                 "the worker to sync books")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == exits.OK
    text = "".join(lines)
    assert "No [schedule] jobs" in text
    assert "sync of books done: run 1: 2 records (2 new" in text
    assert "stopping after the job in hand" in text and "worker w1 stopped." in text


def test_webhook_syncs_run_per_connector_under_its_sync_lock(make: Any) -> None:
    from hub.contract.webhooks import ChangeHint, WebhookReceipt
    from hub.store import deliveries
    from hub.store.clock import utcnow

    setup = make("""
        [connectors.hooked]
        type = "probe"
    """)
    with setup.runner.engine.begin() as conn:
        intake = deliveries.DeliveryIntake(conn, "hooked", utcnow())
        assert intake.record(WebhookReceipt("evt_1", (ChangeHint("invoice", "in_1"),)))
    app = setup.app()
    with app.open():
        dispatcher = defer(app, "webhooks")
    _run_until_idle(app)
    with app.open():
        jobs = {j.id: j for j in app.job_manager.list_jobs()}
    assert jobs[dispatcher].status == "succeeded"
    (synced,) = [j for j in jobs.values() if j.task_name == "billing_hub.webhook_sync"]
    assert (synced.lock, synced.queueing_lock, synced.task_kwargs, synced.status) == (
        "sync:hooked", "webhooks:hooked", {"connector": "hooked"}, "succeeded")
    assert [r[:2] for r in _runs(setup)] == [("hooked", "succeeded")]
    with setup.runner.engine.connect() as conn:
        assert deliveries.due(conn, utcnow()) == []
    assert [e.what for e in setup.events if e.kind == "done"] == [
        "webhooks", "sync of hooked (webhooks)"]


def test_the_job_of_a_worker_that_died_is_queued_again(make: Any) -> None:
    setup = make()
    app = setup.app()
    with app.open():
        job_id = defer(app, "sync", "books")
    with setup.runner.engine.begin() as conn:  # a worker took it, then its machine went away
        gone = conn.execute(sa.text(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now() - interval '5 minutes') RETURNING id")).scalar_one()
        conn.execute(sa.text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w "
                             "WHERE id = :id"), {"w": gone, "id": job_id})
    with app.open():
        defer(app, "billing_hub.requeue_stalled")
    _run_until_idle(app)
    assert _status(app, job_id)[0] == "succeeded"
    assert [r[:2] for r in _runs(setup)] == [("books", "succeeded")]


def test_a_dead_worker_s_job_queued_again_meanwhile_frees_the_lock(make: Any) -> None:
    """The tick after the worker died queued the same sync (the queueing lock was free
    while the first ran): the stalled job cannot be queued again beside it, so it is
    failed with the reason and the waiting one syncs; the lock is not held forever."""
    setup = make()
    app = setup.app()
    with app.open():
        stalled = defer(app, "sync", "books")
    with setup.runner.engine.begin() as conn:
        gone = conn.execute(sa.text(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now() - interval '5 minutes') RETURNING id")).scalar_one()
        conn.execute(sa.text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w "
                             "WHERE id = :id"), {"w": gone, "id": stalled})
    with app.open():
        waiting = defer(app, "sync", "books")
        requeue = defer(app, "billing_hub.requeue_stalled")
    _run_until_idle(app)
    assert _status(app, requeue)[0] == "succeeded"
    assert _status(app, stalled)[0] == "failed"
    assert _status(app, waiting)[0] == "succeeded"
    assert [r[:2] for r in _runs(setup)] == [("books", "succeeded")]
    listed = {j.id: j for j in latest_jobs(setup.runner.engine)}
    assert listed[stalled].error == ("its worker stopped during it; the same job, queued since, "
                                     "does its work")


def test_a_stopping_worker_keeps_its_heartbeat_until_the_job_in_hand_is_done(
        make: Any) -> None:
    """procrastinate stops the heartbeats when a worker is asked to stop; a long sync
    finishing then would look stalled and be queued again beside itself."""
    setup = make("""
        [connectors.slow]
        type = "probe"
        seconds = 3
    """)
    app, other = setup.app(), setup.app()
    with app.open():
        job_id = defer(app, "sync", "slow")

    async def stalled() -> list[int | None]:
        async with other.open_async():
            return [j.id for j in await other.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=1)]

    with worker_thread(app, "worker-a", update_heartbeat_interval=0.2) as stop:
        wait_for(lambda: any(e.kind == "started" for e in setup.events), "the sync to start")
        stop()  # SIGTERM: finish the job in hand
        time.sleep(2)  # more than a second since procrastinate's last heartbeat
        assert asyncio.run(stalled()) == []
        assert not any(e.kind == "done" for e in setup.events)  # still running
    assert _status(app, job_id) == ("succeeded", 1)


def test_a_queued_collect_runs_in_a_worker_with_its_holds_and_run_records(
        make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from decimal import Decimal

    from hub.models import Customer, Invoice, Payment
    from hub.store import records as store_records
    from hub.store.clock import utcnow
    from hub.store.schema import reminders
    from tests.support.clock import zone_at_midday
    from tests.support.mail import SmtpCapture

    monkeypatch.setenv("X", "imap-Secret-4711")
    smtp = SmtpCapture().start()
    try:
        setup = make(f"""
            [connectors.mail]
            type = "email"
            [connectors.mail.imap]
            host = "127.0.0.1"
            port = 1
            tls = "none"
            username = "ar"
            password = "env:X"
            [connectors.mail.smtp]
            host = "127.0.0.1"
            port = {smtp.port}
            tls = "none"
            retry_wait_seconds = 0
            [collections]
            source = "books"
            mailer = "mail"
            from_address = "ar@northwind.example"
            time_zone = "{zone_at_midday()}"
        """)
        due = utcnow().date() - timedelta(days=10)
        items = [Customer(source="books", external_id="C1", name="Acme Corp",
                          email="ap@acme.example")]
        for number in ("INV-7001", "INV-7002"):
            items.append(Invoice(source="books", external_id=number, number=number,
                                 customer_ref="C1", customer_name="Acme Corp",
                                 issue_date=due, due_date=due, currency="USD",
                                 total=Decimal("640.00")))
        items.append(Payment(source="mail", external_id="r-1", amount=Decimal("640.00"),
                             currency="USD", received_date=due, payer_name="Acme Corp",
                             memo="INV-7002"))
        with setup.runner.engine.begin() as conn:
            for item in items:
                store_records.upsert(conn, item.source, item.entity,
                                     [store_records.prepare(item)], run_id=None, now=utcnow())
        app = setup.app()
        with app.open():
            job_id = defer(app, "collect")
            with pytest.raises(AlreadyEnqueued):  # one waits already: its queueing lock
                defer(app, "collect")
        _run_until_idle(app)
        assert _status(app, job_id) == ("succeeded", 1)
        done = [e for e in setup.events if e.job_id == job_id and e.kind == "done"]
        assert done[0].what == "collect"
        assert "1 reminder(s) queued, 1 held" in done[0].text and "1 sent" in done[0].text
        assert [e.rcpt_tos for e in smtp.messages] == [["ap@acme.example"]]
        with setup.runner.engine.connect() as conn:
            kinds = conn.execute(sa.select(runs.c.kind, runs.c.connector, runs.c.status)
                                 .order_by(runs.c.id)).all()
            held = conn.execute(sa.select(reminders.c.invoice_number, reminders.c.hold_rule)
                                .where(reminders.c.status == "held")).all()
        assert [tuple(k) for k in kinds] == [("collect", "books", "succeeded"),
                                              ("remind", "mail", "succeeded")]
        assert [tuple(h) for h in held] == [("INV-7002", "covered_by_receipt")]
    finally:
        smtp.stop()
