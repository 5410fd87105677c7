"""Run the QuickBooks simulator in its own process, seeded.

    python -m plugins.quickbooks.simulator --customers 20 --invoices 60

Prints one JSON line when it is ready: the URLs (``api_url`` for
python-quickbooks' ``api_url_v3``, ``discovery_url`` for intuit-oauth's
``environment``), the realm, the app's client id and secret, the redirect URI,
the webhook verifier token, the CA bundle to trust (``REQUESTS_CA_BUNDLE``)
and a refresh token; then serves until interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading

from plugins.quickbooks.simulator.app import QboSimulator
from plugins.quickbooks.simulator.faults import Faults
from plugins.quickbooks.simulator.seed import seed
from plugins.quickbooks.simulator.server import QboSimulatorServer
from plugins.quickbooks.simulator.throttle import Limits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugins.quickbooks.simulator",
                                     description="A local QuickBooks Online API (v3).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per API call")
    parser.add_argument("--intuit-limits", action="store_true",
                        help="throttle as Intuit does (10/s, 500/min, 10 at once)")
    args = parser.parse_args(argv)

    sim = QboSimulator(faults=Faults(latency=args.latency),
                       limits=Limits.intuit() if args.intuit_limits else None)
    if args.customers:
        seed(sim, customers=max(args.customers, 3), invoices=args.invoices, seed=args.seed)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with QboSimulatorServer(sim, host=args.host, port=args.port) as server:
        print(json.dumps({
            "base_url": server.base_url, "api_url": server.api_url,
            "discovery_url": server.discovery_url, "realm_id": server.realm_id,
            "client_id": server.client_id, "client_secret": server.client_secret,
            "redirect_uri": server.redirect_uri, "verifier_token": server.verifier_token,
            "ca_bundle": server.ca_bundle, "refresh_token": server.connect(),
        }), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
