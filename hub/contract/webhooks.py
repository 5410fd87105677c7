"""What a connector that receives webhooks is handed and answers: a delivery as
received, and what it reports changed (:meth:`hub.contract.connector.Connector.verify_webhook`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One request a system sent to the hub's webhook endpoint, exactly as received.

    ``body`` is the raw bytes: signatures are computed over them, so they are
    verified before anything parses them. ``received_at`` is when the hub
    received it, against which a signed timestamp's age is measured.
    """

    headers: Mapping[str, str]
    body: bytes
    received_at: datetime = field(default_factory=_now)

    def header(self, name: str) -> str | None:
        """The value of header ``name``, whatever the case of its name, or ``None``."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ChangeHint:
    """What a verified webhook delivery says changed.

    A hint, not a record: the hub pulls the record (or, with no
    ``external_id``, the entity) again through :meth:`Connector.pull`, so what
    is stored always comes from the system's API.
    """

    entity: str
    external_id: str | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """What :meth:`Connector.verify_webhook` found in a genuine delivery.

    ``delivery_id`` is the delivery's own id (Stripe's event id) or, for a
    format without one, a digest of the body. A ``duplicate`` was received
    before: systems deliver again when they are unsure we got it, and a
    replay looks the same. The hub answers it as received (so the system stops
    retrying) and acts on nothing: a duplicate carries no hints.
    """

    delivery_id: str
    hints: tuple[ChangeHint, ...] = ()
    duplicate: bool = False


class ReplayGuard(Protocol):
    """Remembers the webhook deliveries already accepted.

    The hub's webhook endpoint keeps them in the store
    (:class:`hub.store.deliveries.DeliveryIntake`, atomic under concurrent
    copies of one delivery); tests use :class:`hub.connectors.replay.MemoryReplayGuard`.
    """

    def first_time(self, delivery_id: str) -> bool:
        """Record ``delivery_id``: ``True`` the first time, ``False`` on every later call."""
        ...
