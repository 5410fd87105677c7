"""The payment applications ``billing-hub apply-payment`` queued, as changes a connector sends.

A row of entity ``payment_application`` carries the receipt, the invoice and
the amount. Its change is an ``apply`` (or ``unapply``) of the invoice as the
store holds it, with a :class:`CashApplication`: the amount, the receipt's
date, payer and reference, and the target's payment that holds the money, if
there is one: the receipt itself when it came from the target, its linked
copy there, or the payment the target answered an earlier application of the
same receipt with (so a bank credit paying two invoices becomes one payment
with two lines in QuickBooks).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from hub.contract.pushing import CashApplication, PushChange, PushOperation
from hub.outbox.links import targets_of
from hub.outbox.queue import record_of
from hub.store import Connection, lookups
from hub.store import outbox as store_outbox

ENTITY = store_outbox.APPLICATIONS


def application_change(conn: Connection, target: str, row_id: int, operation: str,
                       payload: str, key: str) -> PushChange | str:
    """The change of one application row, or why it cannot be sent."""
    data = orjson.loads(payload)
    invoice_id, receipt_id = int(data["invoice_id"]), int(data["payment_id"])
    invoice = lookups.standing(conn, invoice_id)
    if invoice.deleted_at is not None:
        return (f"{data['invoice']} was deleted in {target} since the payment was applied; "
                "apply the payment to the invoice that replaced it")
    source, _, invoice_ext = str(data["invoice"]).partition(":")
    target_id = invoice_ext if source == target else targets_of(
        conn, [invoice_id], target).get(invoice_id)
    if target_id is None:
        return f"{data['invoice']} has no copy in {target} to apply the payment to"
    receipt = orjson.loads(lookups.standing(conn, receipt_id).data)
    application = CashApplication(
        amount=Decimal(str(data["amount"])), currency=str(data["currency"]),
        receipt=str(data["payment"]),
        payment_id=_payment_in_target(conn, target, row_id, receipt_id, str(data["payment"])),
        received=_day(receipt.get("received_date") or receipt.get("booked_date")),
        payer=receipt.get("payer_name") or receipt.get("counterparty"),
        reference=receipt.get("reference"))
    return PushChange(PushOperation(operation), record_of("invoice", invoice.data), key,
                      target_id, application=application)


def _payment_in_target(conn: Connection, target: str, row_id: int, receipt_id: int,
                       receipt: str) -> str | None:
    source, _, ext = receipt.partition(":")
    if source == target:
        return ext
    linked = targets_of(conn, [receipt_id], target).get(receipt_id)
    if linked is not None:
        return linked
    for row in store_outbox.of_entity(conn, ENTITY, statuses=(store_outbox.SENT,)):
        if row.id >= row_id or row.target != target:
            continue
        if orjson.loads(row.payload).get("payment_id") == receipt_id:
            answered: dict[str, Any] = orjson.loads(row.result or "{}")
            if answered.get("external_id"):
                return str(answered["external_id"])
    return None


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None
