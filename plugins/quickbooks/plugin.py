"""Registers the QuickBooks Online connector (entry point ``billing_hub.quickbooks``)."""

from __future__ import annotations

from collections.abc import Iterator

from hub import ConnectorSpec, EntitySupport, hookimpl
from plugins.quickbooks.config import ALL_ENTITIES, QuickBooksConfig

PUSHED = ("customer", "invoice")
"""The entities the connector writes to QuickBooks."""


@hookimpl
def hub_connectors() -> Iterator[ConnectorSpec]:
    """Offer the ``quickbooks`` connector type."""
    yield ConnectorSpec(
        name="quickbooks",
        description="QuickBooks Online: customers, invoices, payments, credit memos",
        config_model=QuickBooksConfig,
        entities=tuple(EntitySupport(entity, pull=True, push=entity in PUSHED,
                                     incremental=True, webhook=True,
                                     apply_payments=entity == "invoice",
                                     send=entity == "invoice")
                       for entity in ALL_ENTITIES),
        factory="plugins.quickbooks.connector:QuickBooksConnector",
    )
