"""The coordinator's pages behind the sign-in: decorators that check the session and,
for forms, the CSRF token, before the page's handler runs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.store import MAX_ID
from hub.web.auth import Endpoint, FormError, Gate, Session, csrf_ok, read_form
from hub.web.html import document, el, respond, url

log = logging.getLogger(__name__)

PageHandler = Callable[[Request, Session], Awaitable[Response]]
FormHandler = Callable[[Request, Session, dict[str, str]], Awaitable[Response]]


def gate_of(request: Request) -> Gate:
    """The app's gate (set by :func:`hub.web.app.create_app` when the page is on)."""
    gate: Gate = request.app.state.gate
    return gate


def message_page(title: str, text: str, status_code: int, *, link: tuple[str, str] | None = None
                 ) -> Response:
    """A short page that says what went wrong and where to go."""
    body = [el("h1", title), el("p", text, class_="error")]
    if link is not None:
        body.append(el("p", el("a", link[1], href=link[0])))
    return respond(document(title, body), status_code)


def path_id(request: Request, name: str) -> int | None:
    """The id in the page's address (a route's ``{name:int}``), or ``None`` when no row
    can have it (0, or more digits than the store's ids have: ``/findings/99999999999``)."""
    value: int = request.path_params[name]
    return value if 0 < value <= MAX_ID else None


def _signed_in(request: Request) -> Session | None:
    session = gate_of(request).session_of(request)
    return session if session is not None and session.user is not None else None


def page(handler: PageHandler) -> Endpoint:
    """A page for signed-in people; anyone else is sent to the sign-in first."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        session = _signed_in(request)
        if session is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(url("/signin", next=here), status_code=303)
        return await handler(request, session)

    return endpoint


def action(handler: FormHandler) -> Endpoint:
    """A form post by a signed-in person, with the session's CSRF token; else 403."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        session = _signed_in(request)
        if session is None:
            return message_page("Signed out", "You are not signed in (or your sign-in has "
                                "ended): sign in, then do it again.", 403,
                                link=("/signin", "Sign in"))
        try:
            form = await read_form(request)
        except FormError as exc:
            return message_page("Not a form", str(exc), 400)
        if not csrf_ok(session, form.get("csrf")):
            log.warning("a form post to %s by %s was refused: its CSRF token is missing or "
                        "wrong", request.url.path, session.user)
            return message_page("Refused", "This form was not sent from the page as it is now "
                                "(its security token is missing or out of date). Go back, "
                                "reload the page and try again.", 403)
        return await handler(request, session, form)

    return endpoint
