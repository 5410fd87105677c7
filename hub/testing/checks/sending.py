"""Checks of sending invoices: a send asked twice with one key e-mails the customer once."""

from __future__ import annotations

from hub.contract.sending import InvoiceDelivery, SendReceipt, SendStatus, send_key
from hub.models import Invoice
from hub.testing.checks.base import EntityCheck
from hub.testing.checks.context import INSTANCE
from hub.testing.checks.errors import ContractViolation

__all__ = ["SendOnceCheck"]


class SendOnceCheck(EntityCheck):
    """One invoice sent twice with one idempotency key is e-mailed once.

    A seeded invoice, as a pull reads it, is sent from one connector object,
    then again with the same key from another, as a retry after a lost answer
    or a crash would be. Both receipts are ``sent`` or ``delivered`` and carry
    the key; afterwards ``harness.sent_invoices()`` (what the fake system
    e-mailed) holds that invoice exactly once more than before.
    """

    name = "send_once"
    test = "test_send_twice_with_one_key_sends_once"
    requires = "send"

    def run(self, entity: str) -> None:
        self.context.seed(entity)
        invoice = next((r for page in self.context.pull(entity) for r in page.records
                        if isinstance(r, Invoice)), None)
        if invoice is None:
            raise ContractViolation("a pull of the seeded invoices returned none to send")
        before = list(self.context.harness.sent_invoices())
        key = send_key(INSTANCE, invoice.external_id)
        delivery = InvoiceDelivery(invoice, invoice.external_id, key)
        for attempt in ("first", "second"):
            receipt = self.context.connector().send_invoice(delivery)
            if not isinstance(receipt, SendReceipt):
                raise ContractViolation(
                    f"send_invoice returned a {type(receipt).__name__}, not a SendReceipt")
            if receipt.idempotency_key != key:
                raise ContractViolation("a send receipt's idempotency_key is not the delivery's")
            if receipt.status not in (SendStatus.SENT, SendStatus.DELIVERED):
                raise ContractViolation(
                    f"the {attempt} send of invoice {invoice.external_id} answered "
                    f"{receipt.status.value} {receipt.reason!r}; expected sent or delivered "
                    "(the second with the first answer, replayed)")
        after = list(self.context.harness.sent_invoices())
        new = after[len(before):]
        if new != [invoice.external_id]:
            raise ContractViolation(
                f"sending invoice {invoice.external_id} twice with key {key!r} e-mailed "
                f"{new!r}; expected it once: send the key with every request (Idempotency-Key, "
                "requestid) so that the system answers a repeat with the first result")
