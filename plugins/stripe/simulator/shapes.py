"""Stripe's JSON for each record, field for field as Stripe's own sample objects
(``tests/data/stripe/fixtures3.json``) show them, at the API version the
simulator answers with (post 2025-03-31 "basil": an invoice has no ``paid``,
``charge`` or ``payment_intent``; what paid it is in its ``payments``).

Fields the simulator never varies (tax, discounts, shipping, Connect...) hold
the value Stripe gives an account that does not use the feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from plugins.stripe.simulator import records as r

JSON = dict[str, Any]

API_VERSION = "2026-10-28.endive"
"""The version events are rendered in (the ``stripe`` SDK 16.1's own)."""
ACCOUNT_ID = "acct_1SimulatorBillingHub"
ACCOUNT_NAME = "billing-hub simulator"
LINES_SHOWN = 10
"""An invoice or credit note shows its first 10 lines; the rest page through ``/lines``."""

_EMPTY_ADDRESS: Mapping[str, str | None] = {
    "city": None, "country": None, "line1": None, "line2": None, "postal_code": None,
    "state": None,
}


def list_object(data: Sequence[JSON], url: str, has_more: bool) -> JSON:
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def _address(address: r.Address | None) -> JSON | None:
    return None if address is None else {**_EMPTY_ADDRESS, **address}


def customer(c: r.Customer, *, as_deleted: bool = True) -> JSON:
    if c.deleted and as_deleted:
        return {"id": c.id, "object": "customer", "deleted": True}
    return {
        "id": c.id,
        "object": "customer",
        "address": _address(c.address),
        "balance": c.balance,
        "created": c.created,
        "currency": c.currency,
        "default_source": None,
        "delinquent": False,
        "description": c.description,
        "discount": None,
        "email": c.email,
        "invoice_prefix": c.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None, "default_payment_method": None, "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(c.metadata),
        "name": c.name,
        "next_invoice_sequence": c.next_invoice_sequence,
        "phone": c.phone,
        "preferred_locales": list(c.preferred_locales),
        "shipping": None,
        "tax_exempt": c.tax_exempt,
        "test_clock": None,
    }


def line_item(line: r.LineItem) -> JSON:
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": line.currency,
        "description": line.description,
        "discount_amounts": [],
        "discountable": line.discountable,
        "discounts": [],
        "invoice": line.invoice,
        "livemode": False,
        "metadata": dict(line.metadata),
        "parent": {
            "invoice_item_details": {
                "invoice_item": line.invoice_item,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": {"end": line.period_end, "start": line.period_start},
        "pretax_credit_amounts": [],
        "pricing": {"type": "price_details", "unit_amount_decimal": line.unit_amount_decimal},
        "quantity": line.quantity,
        "quantity_decimal": str(line.quantity),
        "subscription": None,
        "subtotal": line.amount,
        "taxes": [],
    }


def invoice_lines_url(invoice_id: str) -> str:
    return f"/v1/invoices/{invoice_id}/lines"


def invoice(inv: r.Invoice) -> JSON:
    finalized = inv.finalized_at is not None
    hosted = f"https://invoice.stripe.com/i/{ACCOUNT_ID}/test_{inv.id}" if finalized else None
    return {
        "id": inv.id,
        "object": "invoice",
        "account_country": "US",
        "account_name": ACCOUNT_NAME,
        "account_tax_ids": None,
        "amount_due": inv.amount_due,
        "amount_overpaid": 0,
        "amount_paid": inv.amount_paid,
        "amount_remaining": inv.amount_remaining,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": inv.attempt_count,
        "attempted": inv.attempted,
        "auto_advance": inv.auto_advance,
        "automatic_tax": {
            "disabled_reason": None, "enabled": False, "liability": None, "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": inv.collection_method,
        "created": inv.created,
        "currency": inv.currency,
        "custom_fields": None,
        "customer": inv.customer,
        "customer_account": None,
        "customer_address": _address(inv.customer_address),
        "customer_email": inv.customer_email,
        "customer_name": inv.customer_name,
        "customer_phone": inv.customer_phone,
        "customer_shipping": None,
        "customer_tax_exempt": inv.customer_tax_exempt,
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": inv.description,
        "discounts": [],
        "due_date": inv.due_date,
        "effective_at": inv.finalized_at,
        "ending_balance": 0 if finalized else None,
        "footer": inv.footer,
        "from_invoice": None,
        "hosted_invoice_url": hosted,
        "invoice_pdf": f"{hosted}/pdf" if hosted else None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object([line_item(line) for line in inv.lines[:LINES_SHOWN]],
                             invoice_lines_url(inv.id), len(inv.lines) > LINES_SHOWN),
        "livemode": False,
        "metadata": dict(inv.metadata),
        "next_payment_attempt": (inv.finalized_at + 3600
                                 if inv.status == "open"
                                 and inv.collection_method == "charge_automatically"
                                 and inv.finalized_at is not None else None),
        "number": inv.number,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None, "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": inv.created,
        "period_start": inv.created,
        "post_payment_credit_notes_amount": inv.post_payment_credit_notes_amount,
        "pre_payment_credit_notes_amount": inv.pre_payment_credit_notes_amount,
        "receipt_number": None,
        "rendering": {
            "amount_tax_display": None, "pdf": {"page_size": "auto"}, "template": None,
            "template_version": None,
        },
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": inv.status,
        "subscription": None,
        "status_transitions": {
            "finalized_at": inv.finalized_at,
            "marked_uncollectible_at": inv.marked_uncollectible_at,
            "paid_at": inv.paid_at,
            "voided_at": inv.voided_at,
        },
        "subtotal": inv.subtotal,
        "subtotal_excluding_tax": inv.subtotal,
        "test_clock": None,
        "total": inv.total,
        "total_discount_amounts": [],
        "total_excluding_tax": inv.total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": inv.created,
    }


def invoice_item(item: r.InvoiceItem) -> JSON:
    return {
        "id": item.id,
        "object": "invoiceitem",
        "amount": item.amount,
        "currency": item.currency,
        "customer": item.customer,
        "customer_account": None,
        "date": item.created,
        "description": item.description,
        "discountable": item.discountable,
        "discounts": [],
        "invoice": item.invoice,
        "livemode": False,
        "metadata": dict(item.metadata),
        "net_amount": item.amount,
        "parent": None,
        "period": {"end": item.period_end, "start": item.period_start},
        "pricing": {"type": "price_details", "unit_amount_decimal": item.unit_amount_decimal},
        "proration": False,
        "quantity": item.quantity,
        "quantity_decimal": str(item.quantity),
        "tax_rates": [],
        "test_clock": None,
    }


def invoice_payment(p: r.InvoicePayment) -> JSON:
    payment: JSON = {"type": p.payment_type}
    if p.payment_type == "payment_intent":
        payment["payment_intent"] = p.payment_intent
    elif p.payment_type == "charge":
        payment["charge"] = p.charge
    return {
        "id": p.id,
        "object": "invoice_payment",
        "amount_paid": p.amount_paid,
        "amount_requested": p.amount_requested,
        "created": p.created,
        "currency": p.currency,
        "invoice": p.invoice,
        "is_default": p.is_default,
        "livemode": False,
        "payment": payment,
        "status": p.status,
        "status_transitions": {"canceled_at": p.canceled_at, "paid_at": p.paid_at},
    }


def invoice_payments_url(invoice_id: str) -> str:
    return f"/v1/invoices/{invoice_id}/payments"


def payment_intent(pi: r.PaymentIntent) -> JSON:
    return {
        "id": pi.id,
        "object": "payment_intent",
        "amount": pi.amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": pi.amount_received,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": pi.canceled_at,
        "cancellation_reason": pi.cancellation_reason,
        "capture_method": "automatic",
        "client_secret": pi.client_secret,
        "confirmation_method": "automatic",
        "created": pi.created,
        "currency": pi.currency,
        "customer": pi.customer,
        "customer_account": None,
        "description": pi.description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": pi.latest_charge,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": dict(pi.metadata),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": pi.payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": pi.status,
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(re: r.Refund) -> JSON:
    return {
        "id": re.id,
        "object": "refund",
        "amount": re.amount,
        "balance_transaction": re.balance_transaction,
        "charge": re.charge,
        "created": re.created,
        "currency": re.currency,
        "customer": re.customer,
        "customer_account": None,
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": dict(re.metadata),
        "payment_intent": re.payment_intent,
        "payment_method": None,
        "reason": re.reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": re.status,
        "transfer_reversal": None,
    }


def charge_refunds_url(charge_id: str) -> str:
    return f"/v1/charges/{charge_id}/refunds"


def charge(ch: r.Charge) -> JSON:
    newest_refunds = sorted(ch.refunds, key=lambda x: x.created, reverse=True)
    return {
        "id": ch.id,
        "object": "charge",
        "amount": ch.amount,
        "amount_captured": ch.amount,
        "amount_refunded": ch.amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": ch.balance_transaction,
        "billing_details": {
            "address": dict(_EMPTY_ADDRESS), "email": ch.billing_email, "name": ch.billing_name,
            "phone": None, "tax_id": None,
        },
        "calculated_statement_descriptor": "BILLING-HUB SIM",
        "captured": True,
        "created": ch.created,
        "currency": ch.currency,
        "customer": ch.customer,
        "description": ch.description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(ch.metadata),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None, "network_advice_code": None, "network_decline_code": None,
            "network_status": "approved_by_network", "reason": None,
            "seller_message": "Payment complete.", "type": "authorized",
        },
        "paid": True,
        "payment_intent": ch.payment_intent,
        "payment_method": ch.payment_method,
        "payment_method_details": {
            "card": {
                "amount_authorized": ch.amount,
                "authorization_code": None,
                "brand": "visa",
                "checks": {"address_line1_check": None, "address_postal_code_check": None,
                           "cvc_check": "pass"},
                "country": "US",
                "exp_month": 8,
                "exp_year": 2030,
                "extended_authorization": {"status": "disabled"},
                "fingerprint": ch.card_fingerprint,
                "funding": "credit",
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": "4242",
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": "visa",
                "network_token": {"used": False},
                "network_transaction_id": None,
                "overcapture": {"maximum_amount_capturable": ch.amount, "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": None,
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{ch.id}",
        "refunded": ch.amount_refunded >= ch.amount,
        "refunds": list_object([refund(x) for x in newest_refunds[:LINES_SHOWN]],
                               charge_refunds_url(ch.id), len(newest_refunds) > LINES_SHOWN),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def credit_note_line(line: r.CreditNoteLine) -> JSON:
    out: JSON = {
        "id": line.id,
        "object": "credit_note_line_item",
        "amount": line.amount,
        "description": line.description,
        "discount_amount": 0,
        "discount_amounts": [],
        "livemode": False,
        "metadata": dict(line.metadata),
        "pretax_credit_amounts": [],
        "quantity": line.quantity,
        "tax_rates": [],
        "taxes": [],
        "type": line.type,
        "unit_amount": line.unit_amount,
        "unit_amount_decimal": None if line.unit_amount is None else str(line.unit_amount),
    }
    if line.type == "invoice_line_item":
        out["invoice_line_item"] = line.invoice_line_item
    return out


def credit_note_lines_url(credit_note_id: str) -> str:
    return f"/v1/credit_notes/{credit_note_id}/lines"


def credit_note(cn: r.CreditNote) -> JSON:
    refunds = ([{"amount_refunded": cn.refund_amount, "payment_record_refund": None,
                 "refund": cn.refund, "type": "refund"}] if cn.refund else [])
    return {
        "id": cn.id,
        "object": "credit_note",
        "amount": cn.amount,
        "amount_shipping": 0,
        "created": cn.created,
        "currency": cn.currency,
        "customer": cn.customer,
        "customer_account": None,
        "customer_balance_transaction": cn.customer_balance_transaction,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": cn.created,
        "invoice": cn.invoice,
        "lines": list_object([credit_note_line(x) for x in cn.lines[:LINES_SHOWN]],
                             credit_note_lines_url(cn.id), len(cn.lines) > LINES_SHOWN),
        "livemode": False,
        "memo": cn.memo,
        "metadata": dict(cn.metadata),
        "number": cn.number,
        "out_of_band_amount": cn.out_of_band_amount,
        "pdf": f"https://pay.stripe.com/credit_notes/{ACCOUNT_ID}/test_{cn.id}/pdf",
        "post_payment_amount": cn.post_payment_amount,
        "pre_payment_amount": cn.pre_payment_amount,
        "pretax_credit_amounts": [],
        "reason": cn.reason,
        "refunds": refunds,
        "shipping_cost": None,
        "status": cn.status,
        "subtotal": cn.amount,
        "subtotal_excluding_tax": cn.amount,
        "total": cn.amount,
        "total_excluding_tax": cn.amount,
        "total_taxes": [],
        "type": cn.type,
        "voided_at": cn.voided_at,
    }


def balance_transaction(bt: r.BalanceTransaction) -> JSON:
    fee_details = ([{"amount": bt.fee, "application": None, "currency": bt.currency,
                     "description": "Stripe processing fees", "type": "stripe_fee"}]
                   if bt.fee else [])
    return {
        "id": bt.id,
        "object": "balance_transaction",
        "amount": bt.amount,
        "available_on": bt.available_on,
        "balance_type": "payments",
        "created": bt.created,
        "currency": bt.currency,
        "description": bt.description,
        "exchange_rate": None,
        "fee": bt.fee,
        "fee_details": fee_details,
        "net": bt.net,
        "reporting_category": bt.reporting_category,
        "source": bt.source,
        "status": bt.status,
        "type": bt.type,
    }


def payout(po: r.Payout) -> JSON:
    paid = po.status == "paid"
    return {
        "id": po.id,
        "object": "payout",
        "amount": po.amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": po.arrival_date,
        "automatic": po.automatic,
        "balance_transaction": po.balance_transaction,
        "created": po.created,
        "currency": po.currency,
        "description": po.description,
        "destination": po.destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": dict(po.metadata),
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "completed" if paid else "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": po.status,
        "trace_id": ({"status": "supported", "value": f"TRACE{po.id[3:15].upper()}"} if paid
                     else {"status": "pending", "value": None}),
        "type": "bank_account",
    }


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
    r.Event: event,
    r.LineItem: line_item,
    r.CreditNoteLine: credit_note_line,
}
