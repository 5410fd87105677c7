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

import ssl
import tempfile
from pathlib import Path
from types import TracebackType

import trustme

from hub.testing import SimServer
from plugins.quickbooks.simulator.app import DISCOVERY_PATH, QboSimulator, Request, Response


class QboSimulatorServer:
    """A :class:`QboSimulator` served over HTTPS on ``host`` (a free port unless given)."""

    def __init__(self, simulator: QboSimulator | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.sim = simulator or QboSimulator()
        self._host, self._port = host, port
        self._http: SimServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_bundle = ""

    def _respond(self, method: str, path: str, query: str, headers: dict[str, str],
                 body: bytes) -> Response:
        return self.sim.handle(Request(method=method, path=path, query=query,
                                       headers=headers, body=body))

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the simulator is not running")
        return self._http.port

    @property
    def base_url(self) -> str:
        return f"https://{self._host}:{self.port}"

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
        if self._http is not None:
            return self
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._tmp = tempfile.TemporaryDirectory(prefix="qbo-sim-")
        bundle = Path(self._tmp.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        self.ca_bundle = str(bundle)
        self._http = SimServer(self._respond, host=self._host, port=self._port, tls=context,
                               name="qbo-simulator")
        self._http.start()
        return self

    def stop(self) -> None:
        if self._http is None:
            return
        self._http.stop()
        self._http = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> QboSimulatorServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
