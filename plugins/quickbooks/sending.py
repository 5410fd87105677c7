"""Sending an invoice to its customer through QuickBooks' own e-mail (the send operation).

``POST /invoice/{id}/send?sendTo=ADDRESS`` under a ``requestid`` derived from the
hub's key: QuickBooks e-mails the invoice (as its PDF, from the company's address)
and answers the invoice with ``EmailStatus: EmailSent`` and ``DeliveryInfo``.
The address is the invoice's ``BillEmail`` when QuickBooks holds one, else the
customer's e-mail the hub knows. ``DeliveryInfo.DeliveryTime`` in the answer is
QuickBooks' word that it delivered the e-mail: the receipt is ``delivered`` then,
``sent`` otherwise.
"""

from __future__ import annotations

from datetime import datetime

from hub import InvoiceDelivery, SendReceipt, SendStatus
from plugins.quickbooks.api import QuickBooksApi, QuickBooksRefused, SignInRefused
from plugins.quickbooks.push import request_id


def send(api: QuickBooksApi, delivery: InvoiceDelivery) -> SendReceipt:
    """One invoice e-mailed by QuickBooks; see the module's docstring."""
    key = delivery.idempotency_key
    try:
        current = api.read("Invoice", delivery.target_id)
        if current.get("status") == "Deleted":
            return SendReceipt(key, SendStatus.REJECTED,
                               reason=f"QuickBooks has no invoice {delivery.target_id} any more")
        to = str((current.get("BillEmail") or {}).get("Address") or "") or delivery.to
        if not to:
            return SendReceipt(key, SendStatus.REJECTED, reason=(
                f"invoice {delivery.record.number} has no billing e-mail in QuickBooks and "
                "the hub knows no e-mail address of its customer: add one in QuickBooks "
                "(the customer's or the invoice's BillEmail), sync, and send again"))
        sent = api.send_invoice(delivery.target_id, to, request_id(key, "send"))
    except SignInRefused:
        raise
    except QuickBooksRefused as exc:
        return SendReceipt(key, SendStatus.REJECTED, reason=exc.message)
    status = str(sent.get("EmailStatus") or "")
    info = sent.get("DeliveryInfo") or {}
    when = _time(info.get("DeliveryTime"))
    address = str((sent.get("BillEmail") or {}).get("Address") or to)
    answer = f"EmailStatus {status or '(none)'}" + (
        f", DeliveryInfo {info.get('DeliveryType')} at {info.get('DeliveryTime')}"
        if info else "")
    if status != "EmailSent":
        return SendReceipt(key, SendStatus.REJECTED, to=address, answer=answer,
                           reason=f"QuickBooks answered the send with {answer}")
    return SendReceipt(key, SendStatus.DELIVERED if when else SendStatus.SENT, to=address,
                       answer=answer, delivered_at=when)


def _time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
