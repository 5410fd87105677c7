"""What a scheduled job does: the hub's own commands, called as functions.

The embedded scheduler and the procrastinate workers both run jobs through
:class:`JobRunner`, so a sync on a schedule is the same sync as
``billing-hub sync NAME``, recorded as a run the same way.
:func:`worth_retrying` says which failures may pass by themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from hub.collect.run import collect
from hub.errors import ConfigError, HubError, StoreError, TransientError
from hub.invoicing.settings import sending_policy
from hub.outbox import OutboxSender
from hub.outbox.settings import PushSettings
from hub.reconcile import conflicts
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import Hub
from hub.secrets import redact
from hub.store import TRANSIENT_ERRORS, deliveries, runs
from hub.store.clock import utcnow
from hub.store.outbox import APPLICATIONS
from hub.sync.engine import SyncEngine
from hub.sync.webhooks import WebhookProcessor

PASSING = (TransientError, runs.AlreadyRunning, StoreError, *TRANSIENT_ERRORS, OSError,
           httpx.TransportError)
"""Failures that may go away by themselves: the service throttling or down, the
database unreachable, a sync of the same connector started by hand on this
machine. Anything else (configuration, credentials, a rejected request, a bug)
fails the job at once: trying again would fail the same way."""


def worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, PASSING)


def error_text(exc: BaseException) -> str:
    """The error as a person reads it, never with a secret in it."""
    return redact(str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}")


class JobRunner:
    """Runs one scheduled task against a store and returns a one-line account of it."""

    def __init__(self, hub: Hub, clock: Callable[[], datetime] = utcnow) -> None:
        self.hub = hub
        self.engine = hub.engine
        self.clock = clock
        """The time a collect plans and sends at (tests run weeks of schedule on theirs)."""

    def run(self, task: str, argument: str | None = None) -> str:
        if task == "sync":
            assert argument is not None
            return self.sync(argument)
        if task == "push":
            assert argument is not None
            return self.push(argument)
        if task == "reconcile":
            return self.reconcile()
        if task == "webhooks":
            return self.webhooks()
        if task == "collect":
            return self.collect()
        raise ConfigError(f"unknown task {task!r}",
                          hint="one of: sync, reconcile, push, webhooks, collect")

    def collect(self) -> str:
        """``billing-hub collect``: plan, queue and send the reminders due, every rule of
        :mod:`hub.collect` applied as by hand."""
        outcome = collect(self.hub, clock=self.clock)
        sent = outcome.sent
        if sent is not None and sent.stopped:
            raise TransientError(f"sending reminders stopped: {sent.stopped}; "
                                 f"{sent.waiting} stay queued", connector=None)
        return f"run {outcome.run_id}: {outcome.summary()}"

    def sync(self, connector: str) -> str:
        summary = SyncEngine(self.hub).sync(connector)
        c = summary.total
        text = (f"run {summary.run_id}: {c.seen} records ({c.created} new, {c.updated} updated, "
                f"{c.unchanged} unchanged")
        text += f", {c.quarantined} quarantined" if c.quarantined else ""
        text += f", {c.deleted} deleted)" if c.deleted else ")"
        return text

    def reconcile(self) -> str:
        summary = reconcile(self.engine, self.hub.settings(ReconcileSettings),
                            RuleSet.of(self.hub.registry), sending_policy(self.hub.config))
        m = summary.merge
        return (f"run {summary.run_id}: {summary.found} finding(s) hold ({m.new} new, "
                f"{m.reopened} reopened, {m.auto_resolved} resolved)")

    def push(self, target: str) -> str:
        """Send what waits for ``target``: only approved changes unless ``[push] scheduled
        = "all"``; a change in conflict becomes a ``concurrent_edit`` finding at once."""
        spec = self.hub.connector_spec(target)  # a ConfigError naming an unknown one
        entities = [e.entity for e in spec.entities if e.push]
        if not entities:
            raise ConfigError(f"connector {target!r} does not push anything",
                              hint="`billing-hub plugins` shows what each connector can do")
        if any(e.apply_payments for e in spec.entities):
            entities.append(APPLICATIONS)
        settings = self.hub.settings(PushSettings)
        connector = self.hub.connector(target)
        try:
            counts = OutboxSender(self.engine, connector, entities, settings,
                                  only_approved=settings.scheduled == "approved").send()
        finally:
            connector.close()
        if counts.conflicts:
            with self.engine.begin() as conn:
                conflicts.record_now(conn, utcnow())
        if counts.stopped:
            raise TransientError(f"pushing to {target} stopped: {counts.stopped}; "
                                 f"{counts.pending} change(s) stay queued", connector=target)
        text = (f"{counts.created} created, {counts.updated} updated, {counts.unchanged} "
                f"unchanged, {counts.rejected} rejected, {counts.failed} failed, "
                f"{counts.conflicts} in conflict, {counts.pending} still queued")
        if counts.unapproved:
            text += f" ({counts.unapproved} waiting for approval)"
        return text

    def waiting_webhooks(self) -> list[str]:
        """The connectors with webhook deliveries whose sync is due."""
        with self.engine.connect() as conn:
            due = deliveries.due(conn, utcnow())
        return list(dict.fromkeys(d.connector for d in due))

    def webhooks(self, connector: str | None = None) -> str:
        """The syncs that webhook deliveries (to ``connector``, default all) ask for."""
        outcome = WebhookProcessor(self.hub).process(
            [connector] if connector else None)
        if not outcome.results:
            return "no delivery waits for a sync"
        parts = []
        for r in outcome.results:
            what = f"run {r.run.run_id}" if r.run else "nothing to pull"
            parts.append(f"{r.connector}: {r.deliveries} deliveries, "
                         + (what if r.ok else f"failed ({r.error}), tried again later"))
        return "; ".join(parts)
