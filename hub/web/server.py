"""Serving the ASGI app with uvicorn: in the foreground (``billing-hub serve``) or in a
thread on a free local port (tests, embedding)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


def _config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    # log_config=None: uvicorn's loggers go through the hub's own logging (and its
    # redaction); access lines show at -v. No Server header.
    return uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="on",
                          server_header=False, timeout_graceful_shutdown=30)


def run(app: ASGIApp, host: str, port: int) -> None:
    """Serve ``app`` on ``host:port`` until interrupted (Ctrl-C or SIGTERM)."""
    uvicorn.Server(_config(app, host, port)).run()


class ServerThread:
    """``app`` served by uvicorn in a thread, on a port of its own, until the block ends.

    ::

        with ServerThread(app) as server:
            httpx.post(server.url + "/webhooks/stripe", ...)
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0,
                 startup_timeout: float = 30.0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        """Bind, start serving, and return once the app has started (or raise)."""
        # IPPROTO_TCP named, not 0: asyncio only sets TCP_NODELAY on connections accepted
        # from a socket that says it is TCP; without it each answer waits ~40 ms (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = int(sock.getsockname()[1])
        server = uvicorn.Server(_config(self.app, self.host, self.port))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name=f"billing-hub-web-{self.port}", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"the web server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask the server to finish (the app's shutdown runs) and join its thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
