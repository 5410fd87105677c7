"""Webhook deliveries in, incremental syncs out.

:func:`take_in` verifies one delivery through its connector with the
store-backed replay guard and records it with its hints in one transaction.
:class:`WebhookProcessor` then turns what was recorded into syncs: the
deliveries due are grouped by connector, their hints coalesced into the
entities they name, and each connector gets one normal incremental sync of
those entities, from its saved cursor (:meth:`SyncEngine.sync`). So what is
stored always comes from the system's API, never from a webhook body, and a
burst of a hundred events is one sync. Deliveries are marked processed with
the run that took their change in, or, when the sync fails, keep the error
and are tried again later (the wait doubles with each failure, up to an hour).

A hint that an object was deleted leads to the same incremental sync, in
which the connector finds the object gone and its page says so
(``Page.deleted``): the stored record is marked deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.contract.connector import Connector
from hub.contract.outcomes import RunSummary
from hub.contract.webhooks import WebhookDelivery, WebhookReceipt
from hub.errors import HubError
from hub.runtime import Hub
from hub.secrets import redact
from hub.store import Engine, deliveries
from hub.store.clock import utcnow
from hub.sync.engine import SyncEngine
from hub.sync.settings import WebhookSyncSettings

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = timedelta(hours=1)


def take_in(engine: Engine, connector: Connector, delivery: WebhookDelivery) -> WebhookReceipt:
    """Verify ``delivery`` and, when it is new, record it and its hints in one transaction.

    Raises :class:`hub.errors.WebhookSignatureError` for a delivery that does
    not verify; nothing is recorded then. A duplicate (a delivery id already
    taken in, also by a concurrent copy) comes back with ``duplicate=True``
    and changes nothing.
    """
    with engine.begin() as conn:
        guard = deliveries.DeliveryIntake(conn, connector.name, delivery.received_at)
        receipt = connector.verify_webhook(delivery, guard)
        if not receipt.duplicate and not guard.record(receipt):
            return WebhookReceipt(receipt.delivery_id, duplicate=True)
    return receipt


@dataclass(slots=True)
class ConnectorResult:
    """What processing did for one connector's deliveries."""

    connector: str
    deliveries: int
    entities: list[str]
    run: RunSummary | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class ProcessOutcome:
    """What one :meth:`WebhookProcessor.process` call did."""

    results: list[ConnectorResult] = field(default_factory=list)
    pruned: int = 0

    @property
    def failed(self) -> list[ConnectorResult]:
        return [r for r in self.results if not r.ok]


def retry_wait(attempts: int, first: float) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones: doubling, at most 1 h."""
    seconds = first * 2 ** min(max(attempts - 1, 0), 16)
    return min(timedelta(seconds=seconds), MAX_RETRY_WAIT)


class WebhookProcessor:
    """Runs the incremental syncs that recorded deliveries ask for.

    ``retry_seconds`` is the wait after a first failure; ``keep_days`` how long
    a processed delivery is remembered (see :func:`hub.store.deliveries.prune`).
    """

    def __init__(self, hub: Hub, *, retry_seconds: float | None = None,
                 keep_days: int | None = None) -> None:
        self.hub = hub
        self.engine = hub.engine
        web = hub.settings(WebhookSyncSettings)
        self.retry_seconds = web.retry_seconds if retry_seconds is None else retry_seconds
        self.keep_days = web.keep_days if keep_days is None else keep_days

    def process(self, connectors: Sequence[str] | None = None, *,
                now: datetime | None = None) -> ProcessOutcome:
        """Sync what every due delivery (of ``connectors``, default all) reported changed."""
        started = now or utcnow()
        with self.engine.begin() as conn:
            waiting = deliveries.due(conn, started, connectors=connectors)
        groups: dict[str, list[deliveries.StoredDelivery]] = {}
        for delivery in waiting:
            groups.setdefault(delivery.connector, []).append(delivery)
        outcome = ProcessOutcome()
        for name, group in groups.items():
            outcome.results.append(self._process_connector(name, group))
        with self.engine.begin() as conn:
            outcome.pruned = deliveries.prune(conn, started - timedelta(days=self.keep_days))
        return outcome

    def _process_connector(self, name: str,
                           group: list[deliveries.StoredDelivery]) -> ConnectorResult:
        ids = [d.id for d in group]
        named = list(dict.fromkeys(h.entity for d in group for h in d.hints))
        result = ConnectorResult(name, len(group), [])
        try:
            entities = self._entities(name, named)
            result.entities = entities
            if entities:
                result.run = SyncEngine(self.hub).sync(name, entities=entities)
        except Exception as exc:
            text = str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
            result.error = redact(text)
            attempts = max(d.attempts for d in group) + 1
            retry_at = utcnow() + retry_wait(attempts, self.retry_seconds)
            log.warning("the sync asked for by %d webhook deliveries to %s failed (try %d, "
                        "again from %s): %s", len(ids), name, attempts,
                        retry_at.isoformat(timespec="seconds"), result.error)
            with self.engine.begin() as conn:
                deliveries.mark_failed(conn, ids, result.error, retry_at)
            return result
        with self.engine.begin() as conn:
            deliveries.mark_processed(conn, ids, utcnow(),
                                      result.run.run_id if result.run else None)
        if result.run is not None:
            log.info("%d webhook deliveries to %s: synced %s (run %d)", len(ids), name,
                     ", ".join(result.entities), result.run.run_id)
        return result

    def _entities(self, name: str, named: list[str]) -> list[str]:
        """The entities ``named`` that instance ``name`` pulls, in its own sync order.

        A connector that is not configured (any more) or disabled is an error,
        so its deliveries wait, with the reason, until it is back.
        """
        section = self.hub.config.connectors.get(name)
        if section is not None and not section.enabled:
            raise HubError(f"connector {name!r} is disabled in the config; its webhook "
                           "deliveries wait until it is enabled again")
        connector = self.hub.connector(name)
        try:
            pulled = list(connector.entities())
        finally:
            connector.close()
        wanted = set(named)
        return [entity for entity in pulled if entity in wanted]

