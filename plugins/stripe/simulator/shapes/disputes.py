"""A charge's dispute, field for field as Stripe's sample dispute (``fixtures3.json``)."""

from __future__ import annotations

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.shapes.common import JSON
from plugins.stripe.simulator.shapes.payouts import balance_transaction

EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)


def dispute(dp: r.Dispute) -> JSON:
    inquiry = dp.status.startswith("warning_")
    return {
        "id": dp.id,
        "object": "dispute",
        "amount": dp.amount,
        "balance_transactions": [balance_transaction(x) for x in dp.balance_transactions],
        "charge": dp.charge,
        "created": dp.created,
        "currency": dp.currency,
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": dp.due_by,
            "enhanced_eligibility": {},
            "has_evidence": dp.has_evidence,
            "past_due": False,
            "submission_count": dp.submission_count,
        },
        "is_charge_refundable": inquiry,
        "livemode": False,
        "metadata": dict(dp.metadata),
        "payment_intent": dp.payment_intent,
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": "inquiry" if inquiry else "chargeback",
                     "network_reason_code": _NETWORK_CODES.get(dp.reason, "13.1"),
                     "network": "visa"},
            "type": "card",
        },
        "reason": dp.reason,
        "status": dp.status,
    }


_NETWORK_CODES = {"fraudulent": "10.4", "duplicate": "12.6.1", "product_not_received": "13.1",
                  "credit_not_processed": "13.6", "subscription_canceled": "13.7",
                  "product_unacceptable": "13.3", "general": "13.1"}
