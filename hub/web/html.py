"""HTML for the coordinator's page, escaped by default.

Pages are built from :func:`el` calls: every child and attribute value is
escaped unless it is :class:`Safe` (HTML built here), so a customer name such
as ``<script>`` from a CSV file or an API shows as text. No scripts, no
external stylesheets or fonts: one small inline stylesheet, allowed by its
hash in the Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from starlette.responses import HTMLResponse

from hub.models.limits import excerpt
from hub.reconcile.text import money

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 2rem;background:#1d2330;
color:#fff} header a{color:#fff} header nav{display:flex;gap:1rem;flex:1}
header a[aria-current]{font-weight:700;text-decoration:none;border-bottom:2px solid #fff}
main{padding:1rem 2rem 3rem;max-width:80rem}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
th,td{border-bottom:1px solid #e3e6ec;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f4f6f9} td.num,th.num{text-align:right;white-space:nowrap}
.high{color:#a4161a;font-weight:600} .medium{color:#b35c00} .low{color:#3d5a80}
.differ{background:#fff3bf} .notice{padding:.5rem .8rem;border-left:4px solid #2b7a3d;
background:#eef8f0} .error{padding:.5rem .8rem;border-left:4px solid #a4161a;background:#fdecec}
pre{background:#f4f6f9;padding:.8rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
form.inline{display:inline} fieldset{border:1px solid #e3e6ec;margin:.5rem 0}
.actions form{margin:.6rem 0} label{margin-right:.6rem} .muted{color:#5b6475}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem} dd{margin:0}
"""

_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Sent with every page: nothing but our own stylesheet runs or loads, no framing,
and no copy of a page (customer data) is kept by the browser or a proxy."""

_VOID = frozenset({"input", "br", "meta", "hr", "link"})


class Safe(str):
    """Text that is already HTML: inserted as it is."""

    __slots__ = ()


def long_text(text: str, limit: int) -> Safe:
    """``text`` as HTML text, its first ``limit`` characters (more than :data:`MAX_TEXT`
    allows: a quarantined row's raw content)."""
    return esc(text[:limit])


def esc(value: object) -> Safe:
    """``value`` as HTML text (quotes escaped too), unless it is already :class:`Safe`."""
    if isinstance(value, Safe):
        return value
    return Safe(escape(str(value), quote=True))


Child = object
"""A child of an element: text, :class:`Safe` HTML, ``None`` (nothing) or an iterable of these."""


MAX_TEXT = 4000
"""Characters of one text a page shows at most: any longer value (a 10 MB memo) is shown
as its beginning and its length, never copied whole into the page."""


def _children(children: Iterable[Child]) -> Iterable[str]:
    for child in children:
        if child is None:
            continue
        if isinstance(child, str):
            yield esc(child if isinstance(child, Safe) else excerpt(child, MAX_TEXT))
        elif isinstance(child, Iterable):
            yield from _children(child)
        else:
            yield esc(child)


def el(tag: str, *children: Child, **attrs: object) -> Safe:
    """``<tag attrs>children</tag>``, everything escaped.

    Attribute names drop a trailing ``_`` (``class_``) and turn ``_`` into
    ``-`` (``aria_current``); ``True`` writes the bare name, ``None`` and
    ``False`` leave it out.
    """
    parts = [f"<{tag}"]
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        attr = name.rstrip("_").replace("_", "-")
        parts.append(f" {attr}" if value is True else f' {attr}="{esc(value)}"')
    parts.append(">")
    if tag not in _VOID:
        parts.extend(_children(children))
        parts.append(f"</{tag}>")
    return Safe("".join(parts))


def join(*parts: Child) -> Safe:
    """The parts one after the other, escaped as :func:`el` escapes children."""
    return Safe("".join(_children(parts)))


def when(moment: datetime | None) -> str:
    """``2026-03-20 14:05 UTC``, or ``-`` (PostgreSQL answers in its session's zone)."""
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def stake_text(minor: int | None, currency: str | None) -> str:
    """Money as the CLI writes it (``$1,250.00``, ``1.500 KWD``), or ``-``."""
    return "-" if minor is None or not currency else money(minor, currency)


def url(path: str, **query: str | int | list[str] | None) -> str:
    """``path?query`` with empty values left out (lists as repeated parameters)."""
    pairs: list[tuple[str, str]] = []
    for name, value in query.items():
        if isinstance(value, list):
            pairs.extend((name, v) for v in value)
        elif value is not None and value != "":
            pairs.append((name, str(value)))
    return f"{path}?{urlencode(pairs)}" if pairs else path


def table(head: Iterable[Child], rows: Iterable[Iterable[Child]], *,
          numeric: Iterable[int] = (), caption: str | None = None) -> Safe:
    """A table with column headers (``scope="col"``); cells at ``numeric`` positions align
    right. The first cell of each row is its header (``scope="row"``)."""
    right = set(numeric)
    header = el("tr", [el("th", h, scope="col", class_="num" if i in right else None)
                       for i, h in enumerate(head)])
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = "num" if i in right else None
            cells.append(el("th", cell, scope="row", class_=cls) if i == 0
                         else el("td", cell, class_=cls))
        body.append(el("tr", cells))
    return el("table", el("caption", caption) if caption else None,
              el("thead", header), el("tbody", body))


def csrf_field(token: str) -> Safe:
    """The hidden field every form posts, checked against the session's token."""
    return el("input", type="hidden", name="csrf", value=token)


NAV = (("/", "Overview"), ("/findings", "Findings"), ("/quarantine", "Quarantine"))


def document(title: str, body: Child, *, user: str | None = None, csrf: str | None = None,
             section: str | None = None) -> Safe:
    """A whole page: the header with the navigation and sign-out when signed in."""
    header = None
    if user is not None and csrf is not None:
        links = [el("a", label, href=href, aria_current="page" if href == section else None)
                 for href, label in NAV]
        header = el("header",
                    el("nav", links, aria_label="Pages"),
                    el("span", "Signed in as ", el("strong", user)),
                    el("form", csrf_field(csrf), el("button", "Sign out", type="submit"),
                       method="post", action="/signout", class_="inline"))
    return join(Safe("<!doctype html>"), el(
        "html",
        el("head", el("meta", charset="utf-8"),
           el("meta", name="viewport", content="width=device-width, initial-scale=1"),
           el("title", f"{title} · billing-hub"), el("style", Safe(STYLE))),
        el("body", header, el("main", body)),
        lang="en"))


def respond(html: Safe, status_code: int = 200) -> HTMLResponse:
    """An HTML response with the page's security headers."""
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
