"""Stripe's JSON for each record, field for field as Stripe's own sample objects
(``tests/data/stripe/fixtures3.json``) show them, at the API version the
simulator answers with (post 2025-03-31 "basil": an invoice has no ``paid``,
``charge`` or ``payment_intent``; what paid it is in its ``payments``).

Fields the simulator never varies (tax, discounts, shipping, Connect...) hold
the value Stripe gives an account that does not use the feature.

:func:`render` gives any record's JSON; each family's shapes are in a module
of their own beside this one (``customers``, ``invoices``, ``payments``,
``credit_notes``, ``payouts``, ``disputes``; ``common`` holds what they share), and an
event, which wraps any of them, is here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.shapes.common import (
    ACCOUNT_ID,
    ACCOUNT_NAME,
    API_VERSION,
    JSON,
    LINES_SHOWN,
    list_object,
)
from plugins.stripe.simulator.shapes.credit_notes import (
    credit_note,
    credit_note_line,
    credit_note_lines_url,
)
from plugins.stripe.simulator.shapes.customers import customer
from plugins.stripe.simulator.shapes.disputes import dispute
from plugins.stripe.simulator.shapes.invoices import (
    invoice,
    invoice_item,
    invoice_lines_url,
    line_item,
)
from plugins.stripe.simulator.shapes.payments import (
    charge,
    charge_refunds_url,
    invoice_payment,
    invoice_payments_url,
    payment_intent,
    refund,
)
from plugins.stripe.simulator.shapes.payouts import balance_transaction, payout

__all__ = [
    "ACCOUNT_ID",
    "ACCOUNT_NAME",
    "API_VERSION",
    "JSON",
    "LINES_SHOWN",
    "balance_transaction",
    "charge",
    "charge_refunds_url",
    "credit_note",
    "credit_note_line",
    "credit_note_lines_url",
    "customer",
    "dispute",
    "event",
    "invoice",
    "invoice_item",
    "invoice_lines_url",
    "invoice_payment",
    "invoice_payments_url",
    "line_item",
    "list_object",
    "payment_intent",
    "payout",
    "refund",
    "render",
]


def event(ev: r.Event) -> JSON:
    data: JSON = {"object": render(ev.object, as_deleted=False)}
    if ev.previous_attributes is not None:
        data["previous_attributes"] = dict(ev.previous_attributes)
    return {
        "id": ev.id,
        "object": "event",
        "api_version": API_VERSION,
        "created": ev.created,
        "data": data,
        "livemode": False,
        "pending_webhooks": ev.pending_webhooks,
        "request": {"id": ev.request_id, "idempotency_key": ev.idempotency_key},
        "type": ev.type,
    }


def render(record: Any, *, as_deleted: bool = True) -> JSON:
    """Stripe's JSON for any record."""
    if isinstance(record, r.Customer):
        return customer(record, as_deleted=as_deleted)
    renderer = _RENDERERS.get(type(record))
    if renderer is None:
        raise TypeError(f"no Stripe shape for {type(record).__name__}")
    return renderer(record)


_RENDERERS: dict[type, Callable[[Any], JSON]] = {
    r.Invoice: invoice,
    r.InvoiceItem: invoice_item,
    r.InvoicePayment: invoice_payment,
    r.PaymentIntent: payment_intent,
    r.Charge: charge,
    r.Refund: refund,
    r.CreditNote: credit_note,
    r.BalanceTransaction: balance_transaction,
    r.Payout: payout,
    r.Dispute: dispute,
    r.Event: event,
    r.LineItem: line_item,
    r.CreditNoteLine: credit_note_line,
}
