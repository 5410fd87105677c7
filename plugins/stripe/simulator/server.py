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

from types import TracebackType
from typing import Any

from hub.testing import SimServer
from plugins.stripe.simulator.app import Request, Response, Simulator

DEFAULT_API_KEY = "sk_test_billinghub_simulator"


class SimulatorServer:
    """A :class:`Simulator` served over HTTP on ``host`` (a free port unless given)."""

    def __init__(self, simulator: Simulator | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.simulator = simulator or Simulator()
        self._http = SimServer(self._respond, host=host, port=port, name="stripe-simulator")

    def _respond(self, method: str, path: str, query: str, headers: dict[str, str],
                 body: bytes) -> Response:
        return self.simulator.handle(Request(method=method, path=path, query=query,
                                             headers=headers, body=body))

    @property
    def port(self) -> int:
        return self._http.port

    @property
    def url(self) -> str:
        return f"http://{self._http.host}:{self.port}"

    def start(self) -> SimulatorServer:
        if not self._http.running:
            self.simulator.stopping.clear()
            self._http.start()
        return self

    def stop(self) -> None:
        if not self._http.running:
            return
        self.simulator.stopping.set()
        self.simulator.webhooks.stop()
        self._http.stop()

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
