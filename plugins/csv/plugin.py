"""Registers the CSV connector with billing-hub (entry point ``billing_hub.csv``)."""

from __future__ import annotations

from collections.abc import Iterator

from hub import ConnectorSpec, EntitySupport, hookimpl
from plugins.csv.config import CsvConfig


@hookimpl
def hub_connectors() -> Iterator[ConnectorSpec]:
    """Offer the ``csv`` connector type."""
    yield ConnectorSpec(
        name="csv",
        description="CSV exports: invoice lists, payment exports, bank statements",
        config_model=CsvConfig,
        entities=tuple(
            EntitySupport(entity, pull=True, incremental=False)
            for entity in ("customer", "invoice", "payment", "bank_transaction")
        ),
        factory="plugins.csv.connector:CsvConnector",
    )
