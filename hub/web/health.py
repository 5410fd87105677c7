"""``GET /healthz`` and ``GET /metrics``: what a load balancer and Prometheus read.

``/healthz`` answers ``200`` with ``{"status": "ok", "store": "reachable", "schema": REV}``
when the store answers and its schema is at the newest migration this code knows, and
``503`` with ``"status": "unavailable"`` and the reason otherwise (an unreachable store,
a schema behind or ahead of the code). It needs no sign-in and shows no secret.

``/metrics`` is the Prometheus text format, made by prometheus-client from the store at
each scrape:

- ``billing_hub_runs{kind,status}``: runs recorded in the store;
- ``billing_hub_findings_open{kind}``: open findings;
- ``billing_hub_quarantine_open``: quarantined rows waiting for a person;
- ``billing_hub_outbox_pending``: changes waiting to be pushed;
- ``billing_hub_last_successful_sync_age_seconds{connector}``: since the connector's
  last successful sync finished.

It is open to anyone only with ``[web] metrics_public = true``. Otherwise a request needs
``Authorization: Bearer <token>`` with ``[web] metrics_token`` (``env:NAME``), or the
signed-in session of the coordinator's page; anything else is ``401``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.store import Engine
from hub.store.gauges import read_gauges, store_health
from hub.web.auth import Gate
from hub.web.settings import WebSettings


class StoreCollector(Collector):
    """The store's counts as Prometheus gauges, read afresh at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.engine.connect() as conn:
            gauges = read_gauges(conn)
        runs = GaugeMetricFamily("billing_hub_runs", "Runs recorded in the store, by kind "
                                 "and status.", labels=["kind", "status"])
        for (kind, status), n in sorted(gauges.runs.items()):
            runs.add_metric([kind, status], n)
        yield runs
        found = GaugeMetricFamily("billing_hub_findings_open", "Open findings, by kind.",
                                  labels=["kind"])
        for kind, n in sorted(gauges.open_findings.items()):
            found.add_metric([kind], n)
        yield found
        yield GaugeMetricFamily("billing_hub_quarantine_open",
                                "Quarantined rows waiting for a person.",
                                value=gauges.quarantine_open)
        yield GaugeMetricFamily("billing_hub_outbox_pending",
                                "Changes in the outbox waiting to be pushed.",
                                value=gauges.outbox_pending)
        age = GaugeMetricFamily("billing_hub_last_successful_sync_age_seconds",
                                "Seconds since the connector's last successful sync finished.",
                                labels=["connector"])
        now = datetime.now(UTC)
        for connector, finished in sorted(gauges.last_sync_success.items()):
            when = finished if finished.tzinfo else finished.replace(tzinfo=UTC)
            age.add_metric([connector], max(0.0, (now - when).total_seconds()))
        yield age


async def healthz(request: Request) -> Response:
    """``GET /healthz``: 200 when the store answers at the newest schema, 503 otherwise."""
    engine: Engine = request.app.state.hub.engine
    health = await run_in_threadpool(store_health, engine)
    if health.healthy:
        return JSONResponse({"status": "ok", "store": "reachable", "schema": health.revision})
    if not health.reachable:
        reason = f"the store does not answer ({health.error})"
    elif health.revision is None:
        reason = "the store has no schema: run `billing-hub db upgrade`"
    else:
        reason = (f"the store's schema is {health.revision}, this code expects {health.head}: "
                  "run `billing-hub db upgrade` (or upgrade the code)")
    return JSONResponse({"status": "unavailable",
                         "store": "reachable" if health.reachable else "unreachable",
                         "schema": health.revision, "expected": health.head,
                         "reason": reason}, status_code=503)


def _allowed(request: Request, settings: WebSettings, gate: Gate | None) -> bool:
    if settings.metrics_public:
        return True
    token = settings.metrics_token
    given = request.headers.get("authorization", "")
    if (token is not None and given.lower().startswith("bearer ")
            and hmac.compare_digest(given[7:].strip().encode(),
                                    token.get_secret_value().encode())):
        return True
    if gate is not None:
        session = gate.session_of(request)
        if session is not None and session.user is not None:
            return True
    return False


def metrics_route(settings: WebSettings, gate: Gate | None, engine: Engine) -> BaseRoute:
    """``GET /metrics`` over a registry of its own (so two apps in one process never clash)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(engine))

    async def metrics(request: Request) -> Response:
        if not _allowed(request, settings, gate):
            return JSONResponse(
                {"error": "metrics need `Authorization: Bearer <[web] metrics_token>` or a "
                          "signed-in session (or [web] metrics_public = true)"},
                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])
