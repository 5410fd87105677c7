"""Helpers for connectors that receive webhooks.

A connector's :meth:`~hub.contract.connector.Connector.verify_webhook` checks the
signature and the signed time itself (each system signs differently) and asks
a :class:`~hub.contract.connector.ReplayGuard` whether a delivery is new. The hub's
webhook endpoint gives it a guard kept in the store
(:class:`hub.store.deliveries.DeliveryIntake`); :class:`MemoryReplayGuard` is
the one for tests and for a single process.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from hub.contract.webhooks import WebhookDelivery


class MemoryReplayGuard:
    """Remembers the last ``capacity`` delivery ids in memory.

    Enough for tests and for a format that signs a timestamp, where the
    tolerance window bounds how many ids can matter; a format without one
    (QuickBooks' older deliveries) needs the store-backed guard.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, delivery_id: str) -> bool:
        if delivery_id in self._seen:
            self._seen.move_to_end(delivery_id)
            return False
        self._seen[delivery_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True


def body_digest(delivery: WebhookDelivery) -> str:
    """An id for a delivery whose format carries none: a digest of its raw body."""
    return "sha256:" + hashlib.sha256(delivery.body).hexdigest()
