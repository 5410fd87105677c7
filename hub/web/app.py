"""The hub's HTTP service, an ASGI app (Starlette): for now, the webhook endpoint.

``POST /webhooks/{instance}`` receives the deliveries of the connector
configured as ``[connectors.<instance>]``:

- an instance that is not configured, disabled, or cannot receive webhooks
  is ``404`` with nothing more said (the same as any unknown path);
- a body over ``[web] max_body_bytes`` is ``413``, unread;
- the connector verifies the delivery (signature, signed time within its
  tolerance, then the body) with the store-backed replay guard; a delivery
  that fails is ``400`` with the reason in a few words, never a secret, and
  nothing is recorded;
- a body the connector cannot read (bytes that are not UTF-8 where text is
  expected) is ``400`` too, logged in one line without a traceback;
- a delivery already taken in is ``200`` with ``"duplicate": true``, so the
  sender stops retrying, and nothing more happens;
- a new one is recorded with its hints in one transaction, answered ``200``
  at once, and synced afterwards by the background worker
  (:mod:`hub.web.worker`): one incremental sync per connector for a burst.

``GET /healthz`` answers whether the store is reachable at the newest schema, and
``GET /metrics`` the store's counts for Prometheus (:mod:`hub.web.health`).

With ``[web] coordinator_password`` set, the app also serves the coordinator's
page behind a sign-in (:mod:`hub.web.auth`): the overview at ``/``, the
findings (:mod:`hub.web.findings_page`) and the quarantine
(:mod:`hub.web.quarantine_page`). Without it those paths are ``404`` like any
unknown one, and the webhook endpoint works the same either way.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.contract.connector import Connector
from hub.contract.webhooks import WebhookDelivery
from hub.errors import WebhookSignatureError
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import Hub
from hub.secrets import redact
from hub.store import Engine
from hub.store.clock import utcnow
from hub.sync.webhooks import WebhookProcessor, take_in
from hub.web.auth import Gate, derive_key
from hub.web.health import healthz, metrics_route
from hub.web.settings import WebSettings
from hub.web.worker import WebhookWorker

log = logging.getLogger(__name__)

MAX_REASON = 200
"""Characters of a refusal's reason sent back to the sender."""


@dataclass(slots=True)
class WebState:
    """What the app's handlers share: settings, store, receiving connectors, worker."""

    settings: WebSettings
    engine: Engine
    receivers: dict[str, Connector] = field(default_factory=dict)
    worker: WebhookWorker | None = None
    gate: Gate | None = None
    """Set when the coordinator's page is on."""
    kinds: tuple[str, ...] = ()
    """The kinds of finding the registered rules report (the findings filter)."""
    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)
    """``[reconcile]``: which system's copy of a record the page's figures count."""

    def close(self) -> None:
        """Stop the worker and close the connectors."""
        if self.worker is not None:
            self.worker.stop()
        for connector in self.receivers.values():
            connector.close()


def webhook_receivers(hub: Hub) -> dict[str, Connector]:
    """The enabled connector instances that receive webhooks, built once, by name.

    An instance whose config is wrong fails here, when the server starts,
    rather than on the first delivery.
    """
    built: dict[str, Connector] = {}
    try:
        for name, section in hub.config.connectors.items():
            if not section.enabled:
                continue
            spec = hub.registry.connector_spec(section.type)
            if not any(e.webhook for e in spec.entities):
                continue
            connector = hub.connector(name)
            if "webhook" in type(connector).implements():
                built[name] = connector
            else:
                connector.close()
    except BaseException:
        for connector in built.values():
            connector.close()
        raise
    return built


def _not_found() -> JSONResponse:
    return JSONResponse({"error": "not found"}, status_code=404)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _not_found()
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                        headers=exc.headers)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or ``None`` when it is larger than ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _reason(exc: WebhookSignatureError) -> str:
    """A refusal's message without its hint (that is for the hub's operator, not the sender)."""
    return redact(exc.message)[:MAX_REASON]


async def receive_webhook(request: Request) -> Response:
    """``POST /webhooks/{instance}``: verify, record once, answer at once."""
    received_at = utcnow()
    state: WebState = request.app.state.hub
    instance = request.path_params["instance"]
    connector = state.receivers.get(instance)
    if connector is None:
        return _not_found()
    body = await _read_body(request, state.settings.max_body_bytes)
    if body is None:
        log.warning("webhook delivery to %s refused: larger than %d bytes", instance,
                    state.settings.max_body_bytes)
        return JSONResponse({"error": "the delivery is too large"}, status_code=413)
    delivery = WebhookDelivery(dict(request.headers), body, received_at)
    try:
        receipt = await run_in_threadpool(take_in, state.engine, connector, delivery)
    except WebhookSignatureError as exc:
        reason = _reason(exc)
        log.warning("webhook delivery to %s refused: %s", instance, reason)
        return JSONResponse({"error": "rejected", "reason": reason}, status_code=400)
    except ValueError as exc:  # a body the connector could not read (not UTF-8 ...): theirs
        log.warning("webhook delivery to %s refused: its body could not be read (%s)",
                    instance, type(exc).__name__)
        return JSONResponse({"error": "rejected", "reason": "the body could not be read"},
                            status_code=400)
    except Exception:
        log.exception("a webhook delivery to %s could not be recorded", instance)
        return JSONResponse({"error": "the delivery could not be recorded; send it again"},
                            status_code=500)
    if receipt.duplicate:
        log.info("webhook delivery %s to %s: a duplicate, answered", receipt.delivery_id,
                 instance)
        return JSONResponse({"received": True, "duplicate": True})
    log.info("webhook delivery %s to %s: %d change(s) recorded", receipt.delivery_id, instance,
             len(receipt.hints))
    if state.worker is not None and receipt.hints:
        state.worker.kick()
    return JSONResponse({"received": True, "duplicate": False, "changes": len(receipt.hints)})


def coordinator_gate(hub: Hub) -> Gate | None:
    """The sign-in for the coordinator's page, or ``None`` when the page is off."""
    settings = hub.settings(WebSettings)
    if settings.coordinator_password is None:
        return None
    secret = settings.session_secret or hub.config.store.secret_key
    if secret is None:
        log.warning("neither [web] session_secret nor [store] secret_key is set: sign-ins to "
                    "the coordinator's page end when the server restarts")
    return Gate(settings.coordinator_password,
                derive_key(settings.coordinator_password, secret),
                secure=settings.secure_cookies, session_hours=settings.session_hours)


def _page_routes() -> list[BaseRoute]:
    from hub.web import findings_page, overview_page, quarantine_page, signin_page

    return [*signin_page.routes(), *overview_page.routes(), *findings_page.routes(),
            *quarantine_page.routes()]


def create_app(hub: Hub, *, process_webhooks: bool | None = None) -> Starlette:
    """The ASGI app over the hub's store.

    ``process_webhooks`` (default: ``[web] process_webhooks``) runs the
    background worker that syncs what deliveries report; without it they are
    only recorded, for ``billing-hub webhooks process``. The caller keeps
    ownership of the hub's engine.
    """
    settings = hub.settings(WebSettings)
    state = WebState(settings, hub.engine, webhook_receivers(hub), gate=coordinator_gate(hub),
                     kinds=tuple(RuleSet.of(hub.registry, whole=False).kind_names()),
                     reconcile=hub.settings(ReconcileSettings))
    run_worker = settings.process_webhooks if process_webhooks is None else process_webhooks
    if run_worker:
        processor = WebhookProcessor(hub)
        state.worker = WebhookWorker(processor.process, debounce=settings.debounce_seconds,
                                     max_wait=settings.max_wait_seconds,
                                     poll=settings.poll_seconds)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if state.worker is not None:
            state.worker.start()
        try:
            yield
        finally:
            await run_in_threadpool(state.close)

    routes: list[BaseRoute] = [Route("/webhooks/{instance}", receive_webhook, methods=["POST"]),
                               Route("/healthz", healthz, methods=["GET"]),
                               metrics_route(settings, state.gate, hub.engine)]
    if state.gate is not None:
        routes += _page_routes()
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error},
                    lifespan=lifespan)
    app.state.hub = state
    app.state.gate = state.gate
    return app
