"""Registers the Stripe connector with billing-hub (entry point ``billing_hub.stripe``)."""

from __future__ import annotations

from collections.abc import Iterator

from hub import ConnectorSpec, DemoService, EntitySupport, hookimpl
from plugins.stripe.config import ALL_ENTITIES, StripeConfig

PUSHED = ("customer", "invoice")
"""The entities the connector writes to Stripe."""


@hookimpl
def hub_connectors() -> Iterator[ConnectorSpec]:
    """Offer the ``stripe`` connector type."""
    yield ConnectorSpec(
        name="stripe",
        description="Stripe: customers, invoices, charges, refunds, credit notes, payouts, "
                    "disputes",
        config_model=StripeConfig,
        entities=tuple(EntitySupport(entity, pull=True, push=entity in PUSHED,
                                     incremental=True, webhook=True,
                                     apply_payments=entity == "invoice",
                                     send=entity == "invoice")
                       for entity in ALL_ENTITIES),
        factory="plugins.stripe.connector:StripeConnector",
    )


@hookimpl
def hub_demo_services() -> Iterator[DemoService]:
    """Offer ``billing-hub demo`` a seeded, simulated Stripe account."""
    from plugins.stripe.demo import services

    yield from services()
