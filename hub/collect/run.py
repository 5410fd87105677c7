"""One ``collect``: plan, queue and send reminders, as a recorded run under a lock.

``billing-hub collect``, the in-process schedule and the workers all run
:func:`collect`, so a scheduled collect is the same as one by hand: a run
``collect`` of the ``[collections] source`` (refused while another one works,
on any machine, as syncs are), then the sender's own run ``remind`` of the
mailer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from hub.collect.known import Known
from hub.collect.plan import QUEUED, Planned, QueueCounts, plan, queue
from hub.collect.replies import TakenIn, take_in_replies
from hub.collect.sender import ReminderCounts, ReminderSender
from hub.collect.settings import CollectionSettings
from hub.contract.mail import Mailer
from hub.errors import ConfigError
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import Hub
from hub.store import reminders as store_reminders
from hub.store import runs
from hub.store.clock import utcnow


class CollectRunBusy(runs.AlreadyRunning):
    """Another process is planning the reminders of the same source."""


@dataclass(slots=True)
class CollectOutcome:
    """What one ``collect`` planned, queued, held and sent."""

    day: date
    planned: list[Planned]
    counts: QueueCounts | None
    """None for a dry run."""
    waiting: int
    """Queued after planning (sent by this run unless it was told not to send)."""
    sent: ReminderCounts | None = None
    run_id: int | None = None
    taken: TakenIn | None = None
    """The customers' replies read first (disputes, stops, promises ... that hold)."""

    def summary(self) -> str:
        """One line, as the schedule's log shows it."""
        c = self.counts or QueueCounts()
        text = (f"{c.queued} reminder(s) queued, {c.held} held, {c.released} released, "
                f"{c.tasks} task(s) for a person")
        if self.sent is not None:
            s = self.sent
            text += (f"; {s.sent} sent, {s.held} held before sending, {s.deferred} waiting "
                     f"(contact hours, cap), {s.failed} refused, {s.unconfirmed} unconfirmed")
        return text


def collection_settings(hub: Hub) -> CollectionSettings:
    """``[collections]``, checked against the connectors it names."""
    if not hub.config.has_table("collections"):
        raise ConfigError("no [collections] section in the config: nothing says which "
                          "invoices to remind, when, or how",
                          hint="see the commented [collections] block of `billing-hub init`")
    return hub.settings(CollectionSettings)


def collect(hub: Hub, *, today: date | None = None, dry_run: bool = False, send: bool = True,
            clock: Callable[[], datetime] = utcnow) -> CollectOutcome:
    """Plan today's reminders, queue them (held ones recorded held), then send what is
    queued through ``[collections] mailer`` (not with ``send`` off or ``dry_run``)."""
    settings = collection_settings(hub)
    reconcile = hub.settings(ReconcileSettings)
    rules = RuleSet.of(hub.registry)
    now = clock()
    day = today or now.astimezone().date()
    engine = hub.engine
    if dry_run:
        with engine.connect() as conn:  # the replies are read as a run would, then forgotten
            taken = take_in_replies(conn, settings, now)
            planned = plan(conn, settings, day, known=Known(conn, reconcile, rules), now=now)
            waiting = store_reminders.count(conn, settings.mailer, QUEUED)
            conn.rollback()
        return CollectOutcome(day, planned, None, waiting, taken=taken)
    with engine.begin() as conn:
        run_id = runs.begin(conn, "collect", settings.source, now,
                            doing=f"collecting the invoices of {settings.source!r}",
                            busy=CollectRunBusy)
    with runs.recorded(engine, run_id, clock):
        with engine.begin() as conn:  # replies first: what the customers said holds
            taken = take_in_replies(conn, settings, now)
            planned = plan(conn, settings, day, known=Known(conn, reconcile, rules), now=now)
            counts = queue(conn, planned, mailer=settings.mailer, now=now)
            waiting = store_reminders.count(conn, settings.mailer, QUEUED)
        outcome = CollectOutcome(day, planned, counts, waiting, run_id=run_id, taken=taken)
        if send and waiting:
            outcome.sent = send_queued(hub, settings, reconcile, rules, clock, today=today)
        return outcome


def send_queued(hub: Hub, settings: CollectionSettings, reconcile: ReconcileSettings,
                rules: RuleSet, clock: Callable[[], datetime] = utcnow, *,
                today: date | None = None) -> ReminderCounts:
    """Send what is queued through the mailer connector of ``settings`` (the customers'
    replies judged on ``today``, default the clock's day)."""
    connector = hub.connector(settings.mailer)
    try:
        if not isinstance(connector, Mailer):
            raise ConfigError(f"connector {settings.mailer!r} cannot send mail (it is a "
                              f"{hub.config.connectors[settings.mailer].type!r} connector)",
                              path="collections.mailer",
                              hint="name an email connector with an smtp section")
        return ReminderSender(hub.engine, connector, settings, clock=clock,
                              reconcile=reconcile, rules=rules, today=today).send()
    finally:
        connector.close()
