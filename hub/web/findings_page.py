"""``/findings``: the list a coordinator works through, one finding, and its actions.

The list is filtered by status, kind and customer and sorted like
``billing-hub findings list`` (the most money at stake first); one finding
shows its records side by side (:func:`hub.reconcile.compare.compare`, as
``findings show``), the suggested matches, its history, and the forms that
change its status through :func:`hub.reconcile.lifecycle.set_status` with the
signed-in person as the actor.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.errors import HubError
from hub.reconcile import lifecycle
from hub.reconcile.compare import Comparison, compare
from hub.reports.ages import age
from hub.reports.report import most_at_stake_first
from hub.store import Engine, audit
from hub.store.clock import utcnow
from hub.web.auth import Session
from hub.web.guard import action, message_page, page, path_id
from hub.web.html import (
    Child,
    Safe,
    csrf_field,
    document,
    el,
    join,
    respond,
    stake_text,
    table,
    url,
    when,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_NOTE = 2000
DEFAULT_STATUSES = (lifecycle.OPEN, lifecycle.ACKNOWLEDGED)
ACTIONS = {  # status -> the button's words
    lifecycle.ACKNOWLEDGED: "Acknowledge",
    lifecycle.RESOLVED: "Resolve",
    lifecycle.IGNORED: "Ignore",
    lifecycle.OPEN: "Reopen",
}
DONE = {
    lifecycle.ACKNOWLEDGED: "acknowledged: someone is on it",
    lifecycle.RESOLVED: "resolved (it opens again if the next reconcile still finds it)",
    lifecycle.IGNORED: "ignored: it stays so while the data says the same",
    lifecycle.OPEN: "open again",
}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.hub.engine
    return engine


def kind_label(kind: str) -> str:
    """``amount_mismatch`` as people read it: ``amount mismatch``."""
    return kind.replace("_", " ")


@dataclass(slots=True)
class ListQuery:
    """The list's filters and page, from the query string."""

    statuses: list[str]
    kind: str
    customer: str
    page: int
    kinds: tuple[str, ...] = ()
    """Every kind the filter offers: the registered rules' kinds."""

    @classmethod
    def parse(cls, request: Request) -> ListQuery:
        """Read the filters; unknown statuses or kinds raise :class:`HubError`."""
        params = request.query_params
        statuses = [s for s in params.getlist("status") if s]
        for s in statuses:
            if s not in lifecycle.STATUSES:
                raise HubError(f"unknown status {s!r}")
        kinds: tuple[str, ...] = request.app.state.hub.kinds
        kind = params.get("kind", "")
        if kind and kind not in kinds:
            raise HubError(f"unknown kind {kind!r}")
        number = params.get("page", "1")
        return cls(statuses or list(DEFAULT_STATUSES), kind,
                   params.get("customer", "").strip()[:200],
                   int(number) if re.fullmatch(r"[1-9][0-9]{0,5}", number) else 1, kinds)

    def link(self, page: int) -> str:
        """This query on another page."""
        return url("/findings", status=self.statuses, kind=self.kind,
                   customer=self.customer, page=page if page > 1 else None)


def _filters(q: ListQuery) -> Safe:
    boxes = [el("label", el("input", type="checkbox", name="status", value=s,
                            checked=s in q.statuses), f" {s}")
             for s in lifecycle.STATUSES]
    options = [el("option", "any kind", value="")] + [
        el("option", kind_label(k), value=k, selected=k == q.kind) for k in q.kinds]
    return el("form",
              el("fieldset", el("legend", "Status"), boxes),
              el("p", el("label", "Kind", for_="kind"), el("select", options, id="kind",
                                                           name="kind"),
                 el("label", "Customer contains", for_="customer"),
                 el("input", id="customer", name="customer", value=q.customer),
                 el("button", "Show", type="submit")),
              method="get", action="/findings")


def _row(f: lifecycle.StoredFinding, now: datetime) -> list[Child]:
    return [el("a", f"#{f.id}", href=f"/findings/{f.id}"), kind_label(f.kind),
            el("span", f.severity, class_=f.severity), f.status, f.customer or "",
            stake_text(f.money_at_stake_minor, f.currency),
            age(f, now.date()).text, f.explanation]


@page
async def list_page(request: Request, session: Session) -> Response:
    """``GET /findings``: filtered, most money at stake first, a page at a time."""
    try:
        q = ListQuery.parse(request)
    except HubError as exc:
        return message_page("Bad filter", str(exc), 400, link=("/findings", "All open findings"))

    def load() -> list[lifecycle.StoredFinding]:
        with _engine(request).connect() as conn:
            rows = lifecycle.select(conn, statuses=q.statuses, kinds=[q.kind] if q.kind else (),
                                    customer=q.customer or None)
        most_at_stake_first(rows)
        return rows

    rows = await run_in_threadpool(load)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(q.page, pages)
    shown = rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
    now = utcnow()
    body: list[Child] = [el("h1", "Findings"), _filters(q)]
    if not shown:
        body.append(el("p", "No findings match.", class_="notice"))
    else:
        first = (number - 1) * PAGE_SIZE + 1
        body.append(el("p", f"{first}-{first + len(shown) - 1} of {len(rows)}, the most money "
                       "at stake first.", id="count"))
        body.append(table(["#", "kind", "severity", "status", "customer", "at stake", "age",
                           "what"], (_row(f, now) for f in shown), numeric=(5,)))
    nav: list[Child] = []
    if number > 1:
        nav.append(el("a", "Previous page", href=q.link(number - 1), rel="prev"))
    if number < pages:
        nav.append(el("a", "Next page", href=q.link(number + 1), rel="next"))
    if nav:
        body.append(el("nav", join(*(join(n, " ") for n in nav)), aria_label="Pages of findings"))
    return respond(document("Findings", body, user=session.user, csrf=session.csrf,
                            section="/findings"))


def _records(found: Comparison) -> Safe:
    if not found.labels:
        return el("p", "The records are no longer in the store.", class_="muted")
    rows = []
    for name, values, differ in found.rows:
        cells: list[Child] = [join(name, el("span", " (differs)", class_="differ")
                                   if differ else None)]
        cells.extend(el("span", v, class_="differ") if differ else v for v in values)
        rows.append(cells)
    return table(["field", *found.labels], rows, caption="The records side by side")


def _suggestions(f: lifecycle.StoredFinding) -> Safe | None:
    ideas: list[dict[str, Any]] = [s for s in f.details.get("suggestions", [])
                                   if isinstance(s, dict)]
    if not ideas:
        return None
    rows = []
    for i, s in enumerate(ideas, 1):
        amounts = s.get("amounts_minor") or []
        money = ", ".join(stake_text(a, f.currency) for a in amounts if isinstance(a, int))
        confidence = s.get("confidence")
        rows.append([str(i), ", ".join(str(n) for n in s.get("numbers") or []),
                     ", ".join(str(n) for n in s.get("invoices") or []), money or "-",
                     f"{confidence:.0%}" if isinstance(confidence, int | float) else "-",
                     str(s.get("reason", ""))])
    return join(el("h2", "Suggested matches"),
                table(["#", "invoices", "records", "amounts", "confidence", "reason"], rows,
                      numeric=(3, 4)))


def _history(entries: list[audit.AuditEntry]) -> Safe:
    if not entries:
        return el("p", "No changes yet.", class_="muted")
    rows = [[when(e.at), e.actor, e.action.removeprefix("finding."),
             str(e.details.get("note") or e.details.get("why") or "")]
            for e in reversed(entries)]
    return table(["when", "who", "what", "note"], rows)


def _actions(f: lifecycle.StoredFinding, session: Session, note: str) -> Safe:
    forms = []
    for status, words in ACTIONS.items():
        if status == f.status:
            continue
        field_id = f"note-{status}"
        required = status == lifecycle.IGNORED
        label = "Why it needs no action (required)" if required else "Note (optional)"
        forms.append(el(
            "form", csrf_field(session.csrf),
            el("input", type="hidden", name="status", value=status),
            el("label", label, for_=field_id),
            el("input", id=field_id, name="note", maxlength=str(MAX_NOTE), size="50",
               value=note if required else "", required=required),
            el("button", words, type="submit"),
            method="post", action=f"/findings/{f.id}/status"))
    return join(el("h2", "Act on it"), el("div", forms, class_="actions"))


@dataclass(slots=True)
class _Detail:
    finding: lifecycle.StoredFinding
    records: Comparison
    history: list[audit.AuditEntry]


def _load(engine: Engine, finding_id: int) -> _Detail | None:
    with engine.connect() as conn:
        try:
            f = lifecycle.get(conn, finding_id)
        except HubError:
            return None
        return _Detail(f, compare(conn, f.record_ids),
                       audit.for_subject(conn, f"finding:{f.id}"))


def _detail_page(d: _Detail, session: Session, *, done: str | None = None,
                 error: str | None = None, note: str = "", status_code: int = 200) -> Response:
    f = d.finding
    facts = [("status", f.status), ("severity", el("span", f.severity, class_=f.severity)),
             ("customer", f.customer or "-"),
             ("at stake", stake_text(f.money_at_stake_minor, f.currency)),
             ("age", age(f, utcnow().date()).text),
             ("first seen", when(f.first_seen_at)), ("last changed", when(f.last_seen_at))]
    if f.note:
        facts.append(("note", f"{f.note} ({f.actor})"))
    title = f"#{f.id} {kind_label(f.kind)}"
    body: list[Child] = [
        el("p", el("a", "All findings", href="/findings")),
        el("h1", title),
        el("p", f"This finding is now {DONE[done]}.", class_="notice", role="status")
        if done in DONE else None,
        el("p", error, class_="error", role="alert") if error else None,
        el("p", f.explanation),
        el("dl", [join(el("dt", k), el("dd", v)) for k, v in facts]),
        el("h2", "Records"), _records(d.records),
        _suggestions(f),
        _actions(f, session, note),
        el("h2", "History"), _history(d.history),
    ]
    return respond(document(title, body, user=session.user, csrf=session.csrf,
                            section="/findings"), status_code)


def _not_found(finding_id: int) -> Response:
    return message_page("No such finding", f"There is no finding #{finding_id}.", 404,
                        link=("/findings", "All findings"))


@page
async def detail_page(request: Request, session: Session) -> Response:
    """``GET /findings/{id}``: the finding, its records, suggestions, history and actions."""
    finding_id = path_id(request, "finding_id")
    if finding_id is None:
        return _not_found(request.path_params["finding_id"])
    d = await run_in_threadpool(_load, _engine(request), finding_id)
    if d is None:
        return _not_found(finding_id)
    return _detail_page(d, session, done=request.query_params.get("done"))


@action
async def change_status(request: Request, session: Session, form: dict[str, str]) -> Response:
    """``POST /findings/{id}/status``: acknowledge, resolve, ignore or reopen, then back
    to the finding (post, redirect, get)."""
    finding_id = path_id(request, "finding_id")
    if finding_id is None:
        return _not_found(request.path_params["finding_id"])
    engine = _engine(request)
    status = form.get("status", "")
    note = form.get("note", "").strip()
    problem = None
    if status not in ACTIONS:
        problem = "Choose what to do with the finding."
    elif status == lifecycle.IGNORED and not note:
        problem = "Say why the finding needs no action: a note is required to ignore it."
    elif len(note) > MAX_NOTE:
        problem = f"The note is too long (at most {MAX_NOTE} characters)."
    if problem is None:
        assert session.user is not None

        def change() -> None:
            with engine.begin() as conn:
                lifecycle.set_status(conn, finding_id, status, note=note or None,
                                     actor=session.user or "", now=utcnow())
        try:
            await run_in_threadpool(change)
        except HubError as exc:
            problem = str(exc)
        else:
            log.info("finding %d is %s, by %s", finding_id, status, session.user)
            return RedirectResponse(f"/findings/{finding_id}?done={status}", status_code=303)
    d = await run_in_threadpool(_load, engine, finding_id)
    if d is None:
        return _not_found(finding_id)
    return _detail_page(d, session, error=problem, note=note, status_code=400)


def routes() -> list[Route]:
    """The findings routes."""
    return [Route("/findings", list_page, methods=["GET"]),
            Route("/findings/{finding_id:int}", detail_page, methods=["GET"]),
            Route("/findings/{finding_id:int}/status", change_status, methods=["POST"])]

