"""A local Stripe API for tests, benchmarks and the demo, driven by the real ``stripe`` SDK.

It serves customers, invoices (with lines and invoice payments), invoice
items, payment intents, charges, refunds, credit notes, payouts, balance
transactions and events with Stripe's object shapes, pagination, ``created``
filters, ``expand``, errors, idempotency keys, rate limits and signed
webhooks; knobs inject latency, 429s, 5xx, dropped connections and lost
responses, and :class:`Account` says which currencies the account settles in
(a charge in any other is converted, as Stripe does). See ``app.ROUTES`` for
the endpoints.

    from plugins.stripe.simulator import Simulator, SimulatorServer, seed_company

    sim = Simulator(seed=1)
    seed_company(sim, customers=20, invoices=200)
    with SimulatorServer(sim) as server:
        client = server.client()
"""

from plugins.stripe.simulator.account import Account
from plugins.stripe.simulator.app import ROUTES, Request, Response, Simulator
from plugins.stripe.simulator.clock import SimClock
from plugins.stripe.simulator.errors import StripeError
from plugins.stripe.simulator.faults import Faults
from plugins.stripe.simulator.ratelimit import RateLimit
from plugins.stripe.simulator.seed import CompanyPlan, SeededCompany, seed_company
from plugins.stripe.simulator.server import DEFAULT_API_KEY, SimulatorServer
from plugins.stripe.simulator.webhooks import Delivery, WebhookEndpoint, Webhooks, sign

__all__ = [
    "DEFAULT_API_KEY",
    "ROUTES",
    "Account",
    "CompanyPlan",
    "Delivery",
    "Faults",
    "RateLimit",
    "Request",
    "Response",
    "SeededCompany",
    "SimClock",
    "Simulator",
    "SimulatorServer",
    "StripeError",
    "WebhookEndpoint",
    "Webhooks",
    "seed_company",
    "sign",
]
