"""Registers the bank-statement connector (entry point ``billing_hub.bankfiles``)."""

from __future__ import annotations

from collections.abc import Iterator

from hub import ConnectorSpec, EntitySupport, hookimpl
from plugins.bankfiles.config import BankfilesConfig


@hookimpl
def hub_connectors() -> Iterator[ConnectorSpec]:
    """Offer the ``bankfiles`` connector type."""
    yield ConnectorSpec(
        name="bankfiles",
        description="Bank statement files: ISO 20022 camt.053/camt.054, SWIFT MT940, BAI2, OFX",
        config_model=BankfilesConfig,
        entities=(EntitySupport("bank_transaction", pull=True, incremental=False),),
        factory="plugins.bankfiles.connector:BankfilesConnector",
    )
