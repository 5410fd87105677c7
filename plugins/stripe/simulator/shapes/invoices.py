"""An invoice's JSON, with its first lines, and the lines and invoice items
behind them."""

from __future__ import annotations

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.shapes.common import (
    ACCOUNT_ID,
    ACCOUNT_NAME,
    JSON,
    LINES_SHOWN,
    address,
    list_object,
)


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
        "customer_address": address(inv.customer_address),
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
