"""Checks of webhooks: a forged, replayed or stale delivery is refused; a genuine one is not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hub.connectors.replay import MemoryReplayGuard
from hub.contract.connector import Connector
from hub.contract.webhooks import ChangeHint, WebhookDelivery, WebhookReceipt
from hub.errors import WebhookSignatureError
from hub.testing.checks.base import EntityCheck
from hub.testing.checks.errors import CheckSkipped, ContractViolation

__all__ = [
    "STALE",
    "StaleWebhookCheck",
    "WebhookCheck",
    "WebhookReplayCheck",
    "WebhookSignatureCheck",
]

STALE = timedelta(days=1)
"""How long ago the stale delivery was signed."""


class WebhookCheck(EntityCheck):
    """What the webhook checks share: deliveries from the harness, and how an answer is judged.

    Not a check itself. Each delivery is verified by ``verify_webhook`` with a
    :class:`~hub.connectors.replay.MemoryReplayGuard`; a delivery is refused
    only by ``WebhookSignatureError`` (with a message), any other exception is
    a violation.
    """

    requires = "webhook"

    def _delivery(self, entity: str, sent_at: datetime) -> WebhookDelivery:
        delivery = self.context.harness.webhook_delivery(entity, sent_at=sent_at)
        if not isinstance(delivery, WebhookDelivery):
            raise ContractViolation(
                "harness.webhook_delivery must return a hub.contract.connector.WebhookDelivery")
        return delivery

    @staticmethod
    def _verify(connector: Connector, delivery: WebhookDelivery,
                guard: MemoryReplayGuard, what: str) -> WebhookReceipt:
        try:
            receipt = connector.verify_webhook(delivery, guard)
        except WebhookSignatureError:
            raise
        except Exception as exc:
            raise ContractViolation(
                f"{what}: verify_webhook raised {type(exc).__name__}, not "
                "WebhookSignatureError (verify the signature before reading the body)") from exc
        if not isinstance(receipt, WebhookReceipt):
            raise ContractViolation(
                f"verify_webhook returned {type(receipt).__name__}, not WebhookReceipt")
        return receipt

    def _refused(self, connector: Connector, delivery: WebhookDelivery,
                 guard: MemoryReplayGuard, what: str) -> None:
        """``delivery`` must be refused with a message, and not taken for a duplicate."""
        try:
            receipt = self._verify(connector, delivery, guard, what)
        except WebhookSignatureError as exc:
            if not str(exc).strip():
                raise ContractViolation(
                    f"{what} was refused with an empty message; say which check failed"
                ) from None
            return
        if receipt.duplicate:
            raise ContractViolation(
                f"{what} was answered as a duplicate: its id was looked up before its signature "
                "was checked (a refused delivery must not be remembered as seen)")
        raise ContractViolation(f"{what} was accepted (receipt {receipt!r})")

    def _accepted(self, connector: Connector, delivery: WebhookDelivery,
                  guard: MemoryReplayGuard, entity: str, what: str) -> WebhookReceipt:
        """``delivery`` must be accepted as new, with its id and a ``ChangeHint`` for ``entity``."""
        try:
            receipt = self._verify(connector, delivery, guard, what)
        except WebhookSignatureError as exc:
            raise ContractViolation(f"{what} was refused: {exc}") from None
        if receipt.duplicate:
            raise ContractViolation(f"{what} was taken for a duplicate: {receipt!r}")
        if not receipt.delivery_id:
            raise ContractViolation(f"{what} gave a receipt without a delivery_id")
        if not any(isinstance(h, ChangeHint) and h.entity == entity for h in receipt.hints):
            raise ContractViolation(
                f"{what} was accepted but gave no ChangeHint for {entity}: {receipt!r}")
        return receipt


class WebhookSignatureCheck(WebhookCheck):
    """A delivery altered after signing, or unsigned, is refused; the genuine one is not.

    A correctly signed delivery is accepted as new, with its delivery id and
    a ``ChangeHint`` for the entity. Of a second genuine delivery, a copy with
    one byte added to its body and a copy without its headers are refused with
    ``WebhookSignatureError`` and a message (not answered as duplicates); the
    second delivery itself is then accepted, so a refused copy was not
    remembered as seen.
    """

    name = "webhook_signature"
    test = "test_webhook_rejects_a_bad_signature"

    def run(self, entity: str) -> None:
        connector = self.context.connector()
        guard = MemoryReplayGuard()
        now = datetime.now(UTC)
        self._accepted(connector, self._delivery(entity, now), guard, entity,
                       "a correctly signed delivery")
        genuine = self._delivery(entity, now)
        self._refused(connector, replace(genuine, body=genuine.body + b" "), guard,
                      "a delivery whose body was changed after signing")
        self._refused(connector, replace(genuine, headers={}), guard,
                      "a delivery without its signature headers")
        self._accepted(connector, genuine, guard, entity,
                       "the genuine delivery, after forged copies of it were refused, "
                       "(a refused delivery must not be remembered as seen)")


class WebhookReplayCheck(WebhookCheck):
    """A delivery received again is refused or taken as a duplicate, never acted on twice.

    A correctly signed delivery is accepted; the same delivery verified again
    by a new connector object with the same replay guard (the guard, not the
    object, remembers) is refused, or answered as a duplicate with the same
    delivery id and no hints.
    """

    name = "webhook_replay"
    test = "test_webhook_rejects_a_replay"

    def run(self, entity: str) -> None:
        guard = MemoryReplayGuard()
        delivery = self._delivery(entity, datetime.now(UTC))
        first = self._accepted(self.context.connector(), delivery, guard, entity,
                               "a correctly signed delivery")
        what = "the same delivery received a second time (a replay)"
        try:  # a new connector object: the guard, not the object, remembers
            again = self._verify(self.context.connector(), delivery, guard, what)
        except WebhookSignatureError:
            return
        if not again.duplicate or again.hints:
            raise ContractViolation(
                f"{what} was acted on again ({again!r}): ask replays.first_time(id) and answer "
                "a delivery seen before with WebhookReceipt(id, duplicate=True)")
        if again.delivery_id != first.delivery_id:
            raise ContractViolation(
                f"{what} got delivery_id {again.delivery_id!r}, the first time "
                f"{first.delivery_id!r}")


class StaleWebhookCheck(WebhookCheck):
    """A delivery signed long ago is refused, even by a guard that never saw it.

    A correctly signed delivery signed a day ago (:data:`STALE`) is refused
    with ``WebhookSignatureError`` by a fresh replay guard. Skipped, with the
    reason, for a harness whose system signs no timestamp
    (``signed_timestamps = False``).
    """

    name = "webhook_stale"
    test = "test_webhook_rejects_a_stale_delivery"

    def run(self, entity: str) -> None:
        if not self.context.harness_class.signed_timestamps:
            raise CheckSkipped(
                f"{self.context.connector_type}'s deliveries sign no timestamp "
                "(signed_timestamps=False); replays are caught by the replay guard alone")
        delivery = self._delivery(entity, datetime.now(UTC) - STALE)
        self._refused(self.context.connector(), delivery, MemoryReplayGuard(),
                      "a correctly signed delivery from a day ago")
