"""Where a Stripe record was read, for ``billing-hub show``: the object's API address
and, where Stripe's dashboard has a page for it, the link a person opens there.

Neither holds a key: the API address is the one a person reads the object at with
their own key; the dashboard link opens in their own signed-in browser.
"""

from __future__ import annotations

from hub import CanonicalRecord
from plugins.stripe.config import StripeConfig

STRIPE_API = "https://api.stripe.com"
DASHBOARD = "https://dashboard.stripe.com"
DASHBOARD_PAGES = {"customer": "customers", "invoice": "invoices", "payment": "payments",
                   "payout": "payouts"}
"""entity -> the dashboard's page for it (refunds and credit notes are shown on their
charge's and invoice's pages, so they get no link of their own)."""


def api_url(config: StripeConfig, resource: str, object_id: str) -> str:
    """The object's address on the API the connector reads (``/v1/invoices/in_...``)."""
    base = (config.api_base or STRIPE_API).rstrip("/")
    return f"{base}/v1/{resource}/{object_id}"


def dashboard_url(config: StripeConfig, entity: str, record: CanonicalRecord) -> str | None:
    """The record's page in Stripe's dashboard (under ``/test/`` for a test-mode object),
    or ``None`` when the dashboard has no page of its own for the entity."""
    page = DASHBOARD_PAGES.get(entity)
    if page is None:
        return None
    live = record.raw.get("livemode")
    if not isinstance(live, bool):  # the object does not say: the key does
        live = "_live_" in config.api_key.get_secret_value()
    return f"{DASHBOARD}/{'' if live else 'test/'}{page}/{record.external_id}"


def location(config: StripeConfig, entity: str, resource: str, record: CanonicalRecord) -> str:
    """The record's location as a page gives it: the API address, then the dashboard link
    on a line of its own when there is one."""
    where = api_url(config, resource, record.external_id)
    link = dashboard_url(config, entity, record)
    return where if link is None else f"{where}\n{link}"
