"""Balance transactions and the payouts that take the balance to the bank."""

from __future__ import annotations

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.shapes.common import JSON


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
        # a JSON number on the wire, as Stripe sends it; readers parse it as a Decimal
        "exchange_rate": None if bt.exchange_rate is None else float(bt.exchange_rate),
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
