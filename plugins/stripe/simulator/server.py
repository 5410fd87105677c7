"""The simulator on HTTP: a threaded server on 127.0.0.1, started and stopped cleanly.

    with SimulatorServer() as server:
        client = server.client()            # a stripe.StripeClient pointed at it
        client.v1.customers.create({"name": "Ada"})

Every request runs in its own thread (injected latency never serialises
requests); keep-alive connections are honoured. ``stop()`` closes open
connections, shuts the server down and joins every thread it started. A
"drop" fault closes the socket without answering.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any

from plugins.stripe.simulator.app import Request, Simulator

DEFAULT_API_KEY = "sk_test_billinghub_simulator"


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 1024  # a burst of new connections must not wait for SYN retries

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


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
        request = Request(
            method=self.command, path=path, query=query,
            headers={k.lower(): v for k, v in self.headers.items()}, body=body)
        response = self.server.simulator.handle(request)
        if response.drop:
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


class SimulatorServer:
    """A :class:`Simulator` served over HTTP on ``host`` (a free port unless given)."""

    def __init__(self, simulator: Simulator | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.simulator = simulator or Simulator()
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    def start(self) -> SimulatorServer:
        if self._server is not None:
            return self
        self.simulator.stopping.clear()
        self._server = _Server(self._address, self.simulator)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="stripe-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.simulator.stopping.set()
        self.simulator.webhooks.stop()
        server.shutdown()
        thread.join()
        with server.connections_lock:
            open_connections = list(server.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def client(self, api_key: str = DEFAULT_API_KEY, **options: Any) -> Any:
        """A ``stripe.StripeClient`` talking to this server through httpx (sync and async).

        ``options`` go to ``StripeClient`` (e.g. ``max_network_retries=0``).
        """
        import stripe

        return stripe.StripeClient(
            api_key, base_addresses={"api": self.url},
            http_client=stripe.HTTPXClient(allow_sync_methods=True), **options)
