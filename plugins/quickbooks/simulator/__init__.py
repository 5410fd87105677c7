"""A local QuickBooks Online (API v3) for tests and demos, driven by the real
``python-quickbooks`` and ``intuit-oauth`` clients over HTTPS.

    from plugins.quickbooks.simulator import QboSimulatorServer, seed

    with QboSimulatorServer() as server:
        seed(server.sim, customers=20, invoices=60)
        refresh_token = server.connect()
        ...  # REQUESTS_CA_BUNDLE=server.ca_bundle; api_url_v3 = server.api_url

See README.md beside this file for what it serves and its knobs.
"""

from plugins.quickbooks.simulator.app import (
    DEFAULT_REALM,
    ROUTES,
    LoggedRequest,
    QboSimulator,
    Request,
    Response,
)
from plugins.quickbooks.simulator.clock import SimClock
from plugins.quickbooks.simulator.company import ENTITIES, Change
from plugins.quickbooks.simulator.errors import QboFault
from plugins.quickbooks.simulator.faults import Faults
from plugins.quickbooks.simulator.seed import seed
from plugins.quickbooks.simulator.server import QboSimulatorServer
from plugins.quickbooks.simulator.throttle import Limits
from plugins.quickbooks.simulator.webhooks import (
    cloudevents,
    deliver,
    event_notifications,
    sign,
)

__all__ = [
    "DEFAULT_REALM",
    "ENTITIES",
    "ROUTES",
    "Change",
    "Faults",
    "Limits",
    "LoggedRequest",
    "QboFault",
    "QboSimulator",
    "QboSimulatorServer",
    "Request",
    "Response",
    "SimClock",
    "cloudevents",
    "deliver",
    "event_notifications",
    "seed",
    "sign",
]
