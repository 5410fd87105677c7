"""Invoices a connector's own system delivers to the customer (``billing-hub invoices send``).

A connector whose system e-mails invoices itself (Stripe, QuickBooks Online)
declares ``send=True`` on ``invoice`` in its :class:`~hub.contract.connector.EntitySupport`
and implements :meth:`hub.contract.connector.Connector.send_invoice`. The hub
hands it one :class:`InvoiceDelivery` at a time, each with an idempotency key the
hub keeps with the send; the connector passes the key to its system (Stripe's
``Idempotency-Key``, QuickBooks' ``requestid``), so asking again after a lost
answer or a crash never sends the invoice twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the models are loaded by the connectors that make records
    from hub.models import Invoice


class SendStatus(StrEnum):
    """What became of one invoice sent to its customer."""

    SENT = "sent"
    """The system (or the mail server) took it to deliver."""
    DELIVERED = "delivered"
    """The system says it delivered it (QuickBooks' ``DeliveryInfo.DeliveryTime``)."""
    BOUNCED = "bounced"
    """The address refused it for good (a 5xx answer to the recipient or the data)."""
    REJECTED = "rejected"
    """The system would not send it (no e-mail address, a void invoice); nothing went."""


@dataclass(frozen=True, slots=True)
class InvoiceDelivery:
    """One invoice to deliver through the connector's own system.

    ``target_id`` is the invoice's id in that system (the record's ``external_id``
    when the invoice came from it). ``to`` is the customer's e-mail address as the
    hub knows it, or None; the connector may prefer the address its system keeps
    on the invoice (QuickBooks' ``BillEmail``) and says in the receipt where it went.
    """

    record: Invoice
    target_id: str
    idempotency_key: str
    to: str | None = None


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """The system's answer to one :class:`InvoiceDelivery`."""

    idempotency_key: str
    status: SendStatus
    to: str | None = None
    """Where the system sent it, when it says."""
    answer: str = ""
    """The system's own words (``EmailStatus EmailSent``, ``invoice.sent``), for the record."""
    reason: str = ""
    """Why it was rejected or bounced, in words a coordinator can act on."""
    delivered_at: datetime | None = None


def send_key(source: str, external_id: str) -> str:
    """The idempotency key of sending invoice ``external_id`` of ``source``: an invoice is
    sent once, so the key names the invoice only. ``bs-`` and 40 hex digits (43
    characters): within QuickBooks' 50 for ``requestid`` with a short step suffix, and
    fit for a ``Message-ID``'s left part."""
    digest = hashlib.blake2b(digest_size=20)
    for part in ("send", source, "invoice", external_id):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return "bs-" + digest.hexdigest()
