"""A threaded HTTP (or HTTPS) server for a connector's simulator.

The Stripe and QuickBooks simulators serve through it; a plugin author can
serve a fake of their own system the same way. Every connection is served in
its own thread (injected latency never serialises requests; with TLS, the
handshake happens in that thread too). Keep-alive connections are honoured
and tracked, so that :meth:`SimServer.stop` closes them, shuts the server
down and joins every thread it started. A response whose ``drop`` is true
closes the socket without an answer: a connection lost mid-request.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any, Protocol


class SimResponse(Protocol):
    """What a simulator answers: a status, headers and a body (``drop``: optional)."""

    status: int
    body: bytes

    @property
    def headers(self) -> Mapping[str, str]: ...


Respond = Callable[[str, str, str, dict[str, str], bytes], SimResponse]
"""(method, path, query string, lower-case headers, body) -> the response."""


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 1024  # a burst of new connections must not wait for SYN retries

    def __init__(self, address: tuple[str, int], respond: Respond,
                 tls: ssl.SSLContext | None) -> None:
        self.respond = respond
        self.tls = tls
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Runs in the connection's own thread: the TLS handshake (if any), then HTTP."""
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(30)
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            _Handler(wrapped, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                wrapped.close()

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):
                super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        response = self.server.respond(
            self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        if getattr(response, "drop", False):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class SimServer:
    """Serves ``respond`` on ``host`` (a free port unless given) from a background thread."""

    def __init__(self, respond: Respond, *, host: str = "127.0.0.1", port: int = 0,
                 tls: ssl.SSLContext | None = None, name: str = "simulator") -> None:
        self._respond = respond
        self._address = (host, port)
        self._tls = tls
        self._name = name
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._address[0]

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.server_address[1])

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = _Server(self._address, self._respond, self._tls)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the open connections and join every thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        with server.connections_lock:
            open_connections = list(server.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        self._server = self._thread = None
