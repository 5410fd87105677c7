"""Money moving: invoice payments, payment intents, refunds and charges (a charge
shows its newest refunds)."""

from __future__ import annotations

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.shapes.common import EMPTY_ADDRESS, JSON, LINES_SHOWN, list_object


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
            "address": dict(EMPTY_ADDRESS), "email": ch.billing_email, "name": ch.billing_name,
            "phone": None, "tax_id": None,
        },
        "calculated_statement_descriptor": "BILLING-HUB SIM",
        "captured": True,
        "created": ch.created,
        "currency": ch.currency,
        "customer": ch.customer,
        "description": ch.description,
        "disputed": ch.disputed,
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
