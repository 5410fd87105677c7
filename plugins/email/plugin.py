"""Registers the email connector (entry point ``billing_hub.email``)."""

from __future__ import annotations

from collections.abc import Iterator

from hub import ConnectorSpec, EntitySupport, hookimpl
from plugins.email.config import EmailConfig


@hookimpl
def hub_connectors() -> Iterator[ConnectorSpec]:
    """Offer the ``email`` connector type."""
    yield ConnectorSpec(
        name="email",
        description="E-mail: payments from remittance advice and customers' replies (IMAP), "
                    "reminders out (SMTP)",
        config_model=EmailConfig,
        entities=(EntitySupport("payment", pull=True, incremental=True),
                  EntitySupport("reply", pull=True, incremental=True)),
        factory="plugins.email.connector:EmailConnector",
    )
