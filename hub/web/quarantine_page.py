"""``/quarantine``: rows a source sent that could not be imported, with their raw content."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.models.limits import excerpts
from hub.store import Engine, quarantine
from hub.web.auth import Session
from hub.web.guard import message_page, page, path_id
from hub.web.html import Child, document, el, long_text, respond, table, when

LISTED = 200
RAW_SHOWN = 200_000
RAW_VALUE_SHOWN = 2000
"""Characters of each value of a quarantined row's raw content shown (and its length)."""
"""Characters of a row's raw content shown (a whole file quarantined can be large)."""


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.hub.engine
    return engine


@page
async def list_page(request: Request, session: Session) -> Response:
    """``GET /quarantine``: the open entries, oldest first."""

    def load() -> tuple[list[quarantine.QuarantineEntry], int]:
        with _engine(request).connect() as conn:
            return (quarantine.list_entries(conn, status=quarantine.OPEN, limit=LISTED),
                    sum(quarantine.count_open(conn).values()))

    entries, total = await run_in_threadpool(load)
    body: list[Child] = [el("h1", "Quarantine")]
    if not entries:
        body.append(el("p", "Nothing is waiting: every row was imported.", class_="notice"))
    else:
        body.append(el("p", f"{total} row(s) could not be imported"
                       + (f"; the first {len(entries)} are shown" if total > len(entries)
                          else "") + ". Fix the source or the mapping, then "
                       "`billing-hub quarantine retry --all`."))
        rows = [[el("a", f"#{e.id}", href=f"/quarantine/{e.id}"), e.source, e.entity,
                 e.external_id or "-", e.location or "-", e.reason, when(e.first_seen_at),
                 when(e.last_seen_at), str(e.times_seen)] for e in entries]
        body.append(table(["#", "source", "entity", "id", "where", "why", "first seen",
                           "last seen", "times seen"], rows, numeric=(8,)))
    return respond(document("Quarantine", body, user=session.user, csrf=session.csrf,
                            section="/quarantine"))


@page
async def detail_page(request: Request, session: Session) -> Response:
    """``GET /quarantine/{id}``: one entry, its reason, the errors and the raw content."""
    entry_id = path_id(request, "entry_id")

    def load() -> quarantine.QuarantineEntry | None:
        if entry_id is None:
            return None
        with _engine(request).connect() as conn:
            return quarantine.get(conn, entry_id)

    e = await run_in_threadpool(load)
    if e is None:
        shown = request.path_params["entry_id"]
        return message_page("Not in quarantine", f"There is no quarantined row #{shown}.",
                            404, link=("/quarantine", "The quarantine"))
    value = e.raw_value()
    raw = e.raw if isinstance(value, str) else orjson.dumps(  # each value an excerpt
        excerpts(value, RAW_VALUE_SHOWN), option=orjson.OPT_INDENT_2).decode()
    cut = len(raw) > RAW_SHOWN
    facts = [("status", e.status), ("source", e.source), ("entity", e.entity),
             ("id", e.external_id or "-"), ("where", e.location or "-"),
             ("first seen", when(e.first_seen_at)), ("last seen", when(e.last_seen_at)),
             ("times seen", str(e.times_seen))]
    body: list[Child] = [
        el("p", el("a", "The quarantine", href="/quarantine")),
        el("h1", f"Quarantined row #{e.id}"),
        el("p", e.reason, class_="error"),
        el("p", f"Fix the source or the mapping, then `billing-hub quarantine retry {e.id}`.")
        if e.status == quarantine.OPEN else None,
        el("dl", [[el("dt", k), el("dd", v)] for k, v in facts]),
        el("h2", "What was wrong"),
        el("pre", orjson.dumps(e.details, option=orjson.OPT_INDENT_2, default=str).decode())
        if e.details else el("p", "-"),
        el("h2", "What the source sent"),
        el("pre", long_text(raw, RAW_SHOWN)),
        el("p", f"(the first {RAW_SHOWN:,} of {len(raw):,} characters)", class_="muted")
        if cut else None,
    ]
    return respond(document(f"Quarantined row #{e.id}", body, user=session.user,
                            csrf=session.csrf, section="/quarantine"))


def routes() -> list[Route]:
    """The quarantine routes."""
    return [Route("/quarantine", list_page, methods=["GET"]),
            Route("/quarantine/{entry_id:int}", detail_page, methods=["GET"])]
