"""Run the Stripe simulator in its own process.

    python -m plugins.stripe.simulator --port 12111 --invoices 500

Prints one JSON line when it is ready (its URL, an API key it accepts, the
webhook secret if a webhook URL was given), then serves until interrupted.
The knobs are reachable over HTTP under ``/_simulator/`` (see :mod:`.control`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading

from plugins.stripe.simulator.account import Account
from plugins.stripe.simulator.app import Simulator
from plugins.stripe.simulator.faults import Faults
from plugins.stripe.simulator.seed import seed_company
from plugins.stripe.simulator.server import DEFAULT_API_KEY, SimulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugins.stripe.simulator",
                                     description="A local Stripe API for tests and demos.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--customers", type=int, default=0, help="seed a company of this size")
    parser.add_argument("--invoices", type=int, default=0)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--webhook", help="deliver signed events to this URL as they happen")
    parser.add_argument("--webhook-secret", help="whsec_... (default: a new one)")
    parser.add_argument("--settle-in", metavar="CURRENCY",
                        help="the account's default currency, and the only one it pays out "
                             "(charges in others are converted; default: none converted)")
    args = parser.parse_args(argv)

    account = (Account(default_currency=args.settle_in.lower(),
                       payout_currencies=frozenset([args.settle_in.lower()]))
               if args.settle_in else None)
    sim = Simulator(seed=args.seed, control=True, faults=Faults(latency=args.latency),
                    account=account)
    if args.customers or args.invoices:
        seed_company(sim, customers=max(args.customers, 1), invoices=args.invoices,
                     days=args.days, seed=args.seed)
    ready = {"url": "", "api_key": DEFAULT_API_KEY}
    if args.webhook:
        endpoint = sim.webhooks.add_endpoint(args.webhook, secret=args.webhook_secret)
        ready["webhook_secret"] = endpoint.secret
        sim.webhooks.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with SimulatorServer(sim, host=args.host, port=args.port) as server:
        ready["url"] = server.url
        print(json.dumps(ready), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
