"""The simulator on HTTPS: a threaded server on 127.0.0.1 with a throw-away CA.

    with QboSimulatorServer() as server:
        os.environ["REQUESTS_CA_BUNDLE"] = server.ca_bundle   # tests: monkeypatch.setenv
        auth = AuthClient(server.client_id, server.client_secret, server.redirect_uri,
                          environment=server.discovery_url)

The certificate (for ``127.0.0.1`` and ``localhost``) comes from a ``trustme``
CA made for this server; its PEM is written to ``server.ca_bundle``. TLS is
needed because requests-oauthlib refuses plain http. Every connection is
served in its own thread (the TLS handshake too); ``stop()`` closes open
keep-alive connections, shuts the server down and joins every thread.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any

import trustme

from plugins.quickbooks.simulator.app import DISCOVERY_PATH, QboSimulator, Request


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], simulator: QboSimulator,
                 context: ssl.SSLContext) -> None:
        self.simulator = simulator
        self.context = context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Runs in the connection's own thread: the TLS handshake, then HTTP."""
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            _Handler(tls, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60
    disable_nagle_algorithm = True

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

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = Request(method=self.command, path=path, query=query,
                          headers={k.lower(): v for k, v in self.headers.items()}, body=body)
        response = self.server.simulator.handle(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class QboSimulatorServer:
    """A :class:`QboSimulator` served over HTTPS on ``host`` (a free port unless given)."""

    def __init__(self, simulator: QboSimulator | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.sim = simulator or QboSimulator()
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_bundle = ""

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"https://{self._address[0]}:{self.port}"

    @property
    def api_url(self) -> str:
        """What python-quickbooks' ``api_url_v3`` must be set to."""
        return f"{self.base_url}/v3"

    @property
    def discovery_url(self) -> str:
        """The ``environment`` to give ``intuitlib.client.AuthClient``."""
        return f"{self.base_url}{DISCOVERY_PATH}"

    @property
    def realm_id(self) -> str:
        return self.sim.realm_id

    @property
    def client_id(self) -> str:
        return self.sim.client_id

    @property
    def client_secret(self) -> str:
        return self.sim.client_secret

    @property
    def redirect_uri(self) -> str:
        return self.sim.redirect_uri

    @property
    def verifier_token(self) -> str:
        return self.sim.verifier_token

    def connect(self) -> str:
        """A fresh refresh token for the company (a person completed the consent)."""
        return self.sim.connect()

    def start(self) -> QboSimulatorServer:
        if self._server is not None:
            return self
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._tmp = tempfile.TemporaryDirectory(prefix="qbo-sim-")
        bundle = Path(self._tmp.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        self.ca_bundle = str(bundle)
        self._server = _Server(self._address, self.sim, context)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="qbo-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
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
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> QboSimulatorServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
