"""``GET /``: what needs a person today, at a glance.

Open findings by kind with the money at stake per currency (grouped as the
report groups them, :func:`hub.reports.report.by_kind`), receivables
(:func:`hub.reports.overview.overview`), the open quarantine and the latest runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.contract.outcomes import RunSummary
from hub.money import to_minor_units
from hub.reconcile import lifecycle
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.text import money
from hub.reports.overview import Overview, money_text, overview
from hub.reports.report import Group, by_kind
from hub.store import Engine, quarantine, runs
from hub.store.clock import utcnow
from hub.web.auth import Session
from hub.web.findings_page import DEFAULT_STATUSES, kind_label
from hub.web.guard import page
from hub.web.html import Child, Safe, document, el, respond, table, url, when

RUNS_SHOWN = 10


@dataclass(slots=True)
class _Glance:
    groups: list[Group]
    books: Overview
    quarantined: int
    runs: list[RunSummary]


def _load(engine: Engine, settings: ReconcileSettings) -> _Glance:
    with engine.connect() as conn:
        found = lifecycle.select(conn, statuses=DEFAULT_STATUSES)
        return _Glance(by_kind(found), overview(conn, utcnow().date(), settings),
                       sum(quarantine.count_open(conn).values()),
                       runs.recent(conn, RUNS_SHOWN))


def _findings(groups: list[Group]) -> Safe:
    if not groups:
        return el("p", "No open findings: the systems agree.", class_="notice")
    rows = [[el("a", kind_label(g.kind), href=url("/findings", kind=g.kind)),
             str(len(g.findings)),
             ", ".join(money(to_minor_units(v, c), c) for c, v in g.at_stake.items()) or "-"]
            for g in groups]
    return table(["kind", "findings", "money at stake"], rows, numeric=(1, 2),
                 caption="Open and acknowledged findings, the most money at stake first")


def _runs(latest: list[RunSummary]) -> Safe:
    if not latest:
        return el("p", "No runs yet: run `billing-hub sync`.", class_="muted")
    rows = []
    for r in latest:
        c = r.total
        rows.append([str(r.run_id), r.kind, r.connector, r.status, when(r.started_at),
                     when(r.finished_at), f"{c.created} new, {c.updated} changed, "
                     f"{c.quarantined} quarantined",
                     r.error.splitlines()[0] if r.error else ""])
    return table(["run", "kind", "connector", "status", "started", "finished", "records",
                  "error"], rows)


@page
async def overview_page(request: Request, session: Session) -> Response:
    """``GET /``: findings by kind, receivables, quarantine, the latest runs."""
    state = request.app.state.hub
    g = await run_in_threadpool(_load, state.engine, state.reconcile)
    b = g.books
    body: list[Child] = [
        el("h1", "What needs a person"),
        el("h2", "Findings"), _findings(g.groups),
        el("p", el("a", "All open findings", href="/findings")),
        el("h2", "Receivables"),
        el("ul",
           el("li", f"{b.open_invoices} open invoice(s): {money_text(b.open_balance)}"),
           el("li", f"{b.overdue_invoices} overdue: {money_text(b.overdue_balance)}")),
        el("h2", "Quarantine"),
        el("p", el("a", f"{g.quarantined} row(s)", href="/quarantine"),
           " could not be imported and wait for a person." if g.quarantined else
           " waiting: every row was imported."),
        el("h2", "Latest runs"), _runs(g.runs),
    ]
    return respond(document("Overview", body, user=session.user, csrf=session.csrf,
                            section="/"))


def routes() -> list[Route]:
    """The overview route."""
    return [Route("/", overview_page, methods=["GET"])]
