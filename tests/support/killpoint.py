"""``billing-hub`` in this process, killed by itself (SIGKILL) at a chosen point.

The kill tests' child process::

    python -m tests.support.killpoint --config billing-hub.toml sync books

runs the public CLI exactly as the ``billing-hub`` script does, after wrapping
a few seams of the libraries it talks through (never the hub's own code):

``sent``
    a request is about to leave for the service (HTTP through httpx, which
    the ``stripe`` SDK uses, or requests, which python-quickbooks and
    intuit-oauth use; an IMAP ``UID`` command): the service has not seen it;
``answered``
    the service's whole answer is here and nothing was done with it yet;
``committing``
    a store transaction is about to commit: what the answers brought is
    written and not committed (between the service's answer and the commit);
``committed``
    a store transaction just committed.

``wrote``
    right after ``answered``, when the request was one that changes something
    (an HTTP method other than GET and HEAD, QuickBooks' read-only ``POST
    .../query`` aside): the service did it, the hub does not know yet.

``BH_KILL_AT=answered:3`` kills the process (``os.kill(getpid(), SIGKILL)``,
the signal nobody can catch) the third time it reaches ``answered``, from
whichever thread. ``BH_KILL_TRACE=PATH`` appends each point reached to PATH,
one name a line, written straight to the file so a trace survives the kill.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

POINTS = ("sent", "answered", "wrote", "committing", "committed")
AT_ENV = "BH_KILL_AT"
TRACE_ENV = "BH_KILL_TRACE"


class _Points:
    def __init__(self, at: str | None, trace: str | None) -> None:
        self.lock = threading.Lock()
        self.seen = dict.fromkeys(POINTS, 0)
        self.point, self.nth = None, 0
        if at:
            point, _, nth = at.partition(":")
            if point not in POINTS or not nth.isdigit() or int(nth) < 1:
                raise SystemExit(f"{AT_ENV}={at!r}: expected POINT:N with POINT one of {POINTS}")
            self.point, self.nth = point, int(nth)
        self.trace = (os.open(trace, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                      if trace else None)

    def reached(self, point: str) -> None:
        with self.lock:
            self.seen[point] += 1
            if self.trace is not None:
                os.write(self.trace, f"{point}\n".encode())
            if point == self.point and self.seen[point] == self.nth:
                os.kill(os.getpid(), signal.SIGKILL)


def _around(owner: type, name: str, points: _Points) -> None:
    """``owner.name(request, ...)`` wrapped: ``sent`` before it, ``answered`` (and
    ``wrote``) after it returned."""
    original: Callable[..., Any] = getattr(owner, name)

    def wrapped(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        points.reached("sent")
        answer = original(self, request, *args, **kwargs)
        points.reached("answered")
        method = str(getattr(request, "method", "GET")).upper()
        if method not in ("GET", "HEAD") and not str(getattr(request, "url", "")).split(
                "?")[0].endswith("/query"):
            points.reached("wrote")
        return answer

    setattr(owner, name, wrapped)


def install(points: _Points) -> None:
    """Wrap the seams: HTTP and IMAP requests, and the store's commits."""
    import imaplib

    import httpx
    import requests
    import sqlalchemy as sa
    from sqlalchemy.engine.default import DefaultDialect

    _around(httpx.Client, "send", points)
    _around(requests.Session, "send", points)
    _around(imaplib.IMAP4, "uid", points)

    # every engine's commit, just before the database is asked to commit
    sa.event.listen(sa.engine.Engine, "commit", lambda _conn: points.reached("committing"))
    do_commit: Callable[[Any, Any], None] = DefaultDialect.do_commit

    def committed(self: DefaultDialect, dbapi_connection: Any) -> None:
        do_commit(self, dbapi_connection)
        points.reached("committed")

    DefaultDialect.do_commit = committed  # type: ignore[method-assign]


def main() -> None:
    install(_Points(os.environ.get(AT_ENV), os.environ.get(TRACE_ENV)))
    from hub.cli.app import run

    sys.exit(run(sys.argv[1:]))


WARM = ("hub.cli.sync_cmd", "hub.cli.push_cmd", "hub.sync.engine", "hub.outbox",
        "plugins.csv.connector", "plugins.stripe.connector", "plugins.stripe.push",
        "plugins.quickbooks.connector", "plugins.quickbooks.push", "plugins.email.connector",
        "stripe", "quickbooks", "intuitlib.client", "httpx", "requests", "imaplib")
"""What the forking server imports before it forks anything."""


def serve() -> None:
    """``python -m tests.support.killpoint --serve``: import the hub once, then run each
    request read from stdin (a JSON line: ``args``, ``env``, ``cwd``, ``out``) in a child
    forked for it, as :func:`main` would in a new interpreter (its output to the file
    ``out``); answer ``{"pid": ...}`` when it starts and ``{"code": ...}`` when it ended
    (``-9`` when it was killed). Only imports happen before the fork: no thread, no
    connection, nothing a child could inherit half done."""
    import importlib

    from hub.cli.app import run
    from hub.plugins import load_plugins

    for name in WARM:
        importlib.import_module(name)
    load_plugins()
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.chdir(request["cwd"])
                os.environ.clear()
                os.environ.update(request["env"])
                out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(out, 1)
                os.dup2(out, 2)
                os.close(out)
                install(_Points(os.environ.get(AT_ENV), os.environ.get(TRACE_ENV)))
                code = run(request["args"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"code": code}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main()
