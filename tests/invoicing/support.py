"""Systems to send invoices through, for the invoicing tests: a Stripe account and a
QuickBooks company in their simulators, each with one invoice ready to go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.store import open_store
from hub.store.schema import invoice_sends
from plugins.stripe.simulator import Simulator

STRIPE = """
[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000
max_attempts = 3
entities = ["customer", "invoice"]

[invoicing]
sources = ["stripe"]
"""


def stripe_draft(sim: Simulator, *, email: str | None = "ap@harbour.example") -> str:
    """A ``send_invoice`` draft of 1,250.00 USD for a customer (with ``email``), as the hub
    pushes them (``auto_advance: false``); its id."""
    customer = sim.api("POST", "/v1/customers", {"name": "Harbour Freight",
                                                 **({"email": email} if email else {})})
    invoice = sim.api("POST", "/v1/invoices", {
        "customer": customer["id"], "collection_method": "send_invoice",
        "days_until_due": 30, "auto_advance": False, "currency": "usd"})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/add_lines", {
        "lines": [{"amount": 125000, "description": "Freight audit, November"}]})
    return str(invoice["id"])


def sends(config_dir: Path, store_url: str) -> list[dict[str, Any]]:
    """Every row of ``invoice_sends``, oldest first."""
    del config_dir
    engine = open_store(store_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(invoice_sends).order_by(invoice_sends.c.id))]
    finally:
        engine.dispose()
