"""A credit note's JSON, with its first lines, and its lines."""

from __future__ import annotations

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.shapes.common import ACCOUNT_ID, JSON, LINES_SHOWN, list_object


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
