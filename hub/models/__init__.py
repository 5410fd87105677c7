"""The canonical model every connector maps into and out of.

``ENTITY_MODELS`` maps an entity name (as used in configs, the store and
hooks) to its model class.
"""

from __future__ import annotations

from hub.models.bank import BankTransaction
from hub.models.base import CanonicalRecord
from hub.models.credit_note import CreditNote
from hub.models.customer import Customer
from hub.models.dispute import Dispute, DisputeStatus
from hub.models.invoice import Invoice, InvoiceLine, InvoiceStatus
from hub.models.payment import Payment, PaymentApplication, Settlement
from hub.models.payment_plan import Instalment, PaymentPlan, PlanState
from hub.models.payout import Payout, PayoutTransaction
from hub.models.promise import Promise
from hub.models.refund import Refund
from hub.models.reply import Reply, ReplyKind
from hub.money import CurrencyCode

ENTITY_MODELS: dict[str, type[CanonicalRecord]] = {
    model.entity: model
    for model in (Customer, Invoice, Payment, BankTransaction, Refund, CreditNote, Payout,
                  Reply, Dispute, Promise)
}

__all__ = [
    "ENTITY_MODELS",
    "BankTransaction",
    "CanonicalRecord",
    "CreditNote",
    "CurrencyCode",
    "Customer",
    "Dispute",
    "DisputeStatus",
    "Instalment",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Payment",
    "PaymentApplication",
    "PaymentPlan",
    "Payout",
    "PayoutTransaction",
    "PlanState",
    "Promise",
    "Refund",
    "Reply",
    "ReplyKind",
    "Settlement",
]
