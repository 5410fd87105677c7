"""``GET/POST /signin`` and ``POST /signout``."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.store import audit
from hub.store.clock import utcnow
from hub.web.auth import FormError, Session, clean_name, csrf_ok, local_path, read_form
from hub.web.guard import action, gate_of, message_page
from hub.web.html import csrf_field, document, el, respond

log = logging.getLogger(__name__)


def _form(session: Session, next_path: str, name: str = "", error: str | None = None,
          status_code: int = 200) -> Response:
    body = [
        el("h1", "Sign in to billing-hub"),
        el("p", error, class_="error", role="alert") if error else None,
        el("form",
           csrf_field(session.csrf),
           el("input", type="hidden", name="next", value=next_path),
           el("p", el("label", "Your name", for_="name"),
              el("input", id="name", name="name", value=name, required=True,
                 maxlength="64", autocomplete="username")),
           el("p", el("label", "Password", for_="password"),
              el("input", id="password", name="password", type="password", required=True,
                 autocomplete="current-password")),
           el("p", el("button", "Sign in", type="submit")),
           method="post", action="/signin"),
        el("p", "Your name is recorded with what you do here.", class_="muted"),
    ]
    return respond(document("Sign in", body), status_code)


async def sign_in_form(request: Request) -> Response:
    """``GET /signin``: the form (with a fresh session holding its CSRF token)."""
    gate = gate_of(request)
    next_path = local_path(request.query_params.get("next"))
    session = gate.session_of(request)
    if session is not None and session.user is not None:
        return RedirectResponse(next_path, status_code=303)
    if session is None:
        session = gate.start(None)
    response = _form(session, next_path)
    gate.set_cookie(response, session)
    return response


async def sign_in(request: Request) -> Response:
    """``POST /signin``: check the name and password; a new session on success."""
    gate = gate_of(request)
    session = gate.session_of(request)
    try:
        form = await read_form(request)
    except FormError as exc:
        return message_page("Not a form", str(exc), 400)
    if session is None or not csrf_ok(session, form.get("csrf")):
        return message_page("Sign-in expired", "The sign-in form was out of date. Open it "
                            "again and sign in.", 403, link=("/signin", "Sign in"))
    next_path = local_path(form.get("next"))
    name = clean_name(form.get("name"))
    if name is None:
        return _form(session, next_path, error="Type your name (at most 64 characters): it is "
                     "recorded with what you do.", status_code=400)
    right = await gate.try_password(form.get("password", ""))
    if right is None:
        log.warning("a sign-in to the coordinator's page as %r was refused untried: too many "
                    "sign-ins wait for their turn (someone may be guessing the password)", name)
        return message_page("Too many sign-ins", "Too many sign-ins are being tried at once. "
                            "Wait a minute, then sign in again.", 429,
                            link=("/signin", "Sign in"))
    if not right:
        log.warning("failed sign-in to the coordinator's page as %r from %s", name,
                    request.client.host if request.client else "?")
        return _form(session, next_path, name=name, error="Wrong name or password.",
                     status_code=401)
    engine = request.app.state.hub.engine

    def record() -> None:
        with engine.begin() as conn:
            audit.record(conn, "web.signed_in", subject="web", actor=name, at=utcnow())

    await run_in_threadpool(record)
    log.info("%s signed in to the coordinator's page", name)
    response = RedirectResponse(next_path, status_code=303)
    gate.set_cookie(response, gate.start(name))  # a new CSRF token: nothing carries over
    return response


@action
async def sign_out(request: Request, session: Session, form: dict[str, str]) -> Response:
    """``POST /signout``: forget the session cookie."""
    response = RedirectResponse("/signin", status_code=303)
    gate_of(request).clear_cookie(response)
    return response


def routes() -> list[Route]:
    """The sign-in routes."""
    return [Route("/signin", sign_in_form, methods=["GET"]),
            Route("/signin", sign_in, methods=["POST"]),
            Route("/signout", sign_out, methods=["POST"])]
