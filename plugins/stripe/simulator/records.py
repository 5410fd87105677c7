"""What the simulator remembers of each Stripe object.

Records are immutable: a change makes a new record (``dataclasses.replace``)
and the store swaps it in. An event keeps the record as it was when the event
happened, so its ``data.object`` is a true snapshot, and a reader can render
a record outside the store's lock. :mod:`.shapes` turns a record into the
JSON Stripe would send; fields Stripe shows but the simulator never varies
live there, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Metadata = Mapping[str, str]
Address = Mapping[str, str | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    id: str
    created: int
    invoice_prefix: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    address: Address | None = None
    metadata: Metadata = field(default_factory=dict)
    currency: str | None = None
    balance: int = 0
    next_invoice_sequence: int = 1
    preferred_locales: tuple[str, ...] = ()
    tax_exempt: str = "none"
    deleted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LineItem:
    id: str
    invoice: str
    invoice_item: str
    amount: int
    currency: str
    description: str | None
    quantity: int
    unit_amount_decimal: str | None
    period_start: int
    period_end: int
    metadata: Metadata = field(default_factory=dict)
    discountable: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceItem:
    id: str
    created: int
    customer: str
    invoice: str | None
    amount: int
    currency: str
    description: str | None
    quantity: int
    unit_amount_decimal: str | None
    period_start: int
    period_end: int
    metadata: Metadata = field(default_factory=dict)
    discountable: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    id: str
    created: int
    customer: str
    currency: str
    collection_method: str
    customer_name: str | None = None
    customer_email: str | None = None
    customer_phone: str | None = None
    customer_address: Address | None = None
    customer_tax_exempt: str = "none"
    status: str = "draft"
    number: str | None = None
    description: str | None = None
    footer: str | None = None
    metadata: Metadata = field(default_factory=dict)
    auto_advance: bool = False
    due_date: int | None = None
    days_until_due: int | None = None
    lines: tuple[LineItem, ...] = ()
    amount_paid: int = 0
    pre_payment_credit_notes_amount: int = 0
    post_payment_credit_notes_amount: int = 0
    paid_out_of_band: bool = False
    attempted: bool = False
    attempt_count: int = 0
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal

    @property
    def amount_due(self) -> int:
        return max(self.total - self.pre_payment_credit_notes_amount, 0)

    @property
    def amount_remaining(self) -> int:
        """Nothing is left to collect once the invoice is paid (also out of band) or void."""
        if self.status in ("paid", "void"):
            return 0
        return max(self.amount_due - self.amount_paid, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoicePayment:
    id: str
    created: int
    invoice: str
    currency: str
    amount_requested: int
    payment_type: str
    payment_intent: str | None = None
    charge: str | None = None
    amount_paid: int | None = None
    status: str = "open"
    is_default: bool = True
    paid_at: int | None = None
    canceled_at: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentIntent:
    id: str
    created: int
    amount: int
    currency: str
    customer: str | None
    client_secret: str
    description: str | None = None
    status: str = "requires_payment_method"
    amount_received: int = 0
    latest_charge: str | None = None
    payment_method: str | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    id: str
    created: int
    amount: int
    currency: str
    charge: str
    payment_intent: str | None
    balance_transaction: str
    customer: str | None = None
    reason: str | None = None
    metadata: Metadata = field(default_factory=dict)
    status: str = "succeeded"


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    id: str
    created: int
    amount: int
    currency: str
    customer: str | None
    payment_intent: str | None
    payment_method: str
    balance_transaction: str
    billing_name: str | None = None
    billing_email: str | None = None
    description: str | None = None
    card_fingerprint: str = ""
    metadata: Metadata = field(default_factory=dict)
    refunds: tuple[Refund, ...] = ()
    disputed: bool = False

    @property
    def amount_refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNoteLine:
    id: str
    type: str
    amount: int
    description: str | None
    quantity: int
    unit_amount: int | None
    invoice_line_item: str | None = None
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNote:
    id: str
    created: int
    number: str
    invoice: str
    customer: str
    currency: str
    type: str
    lines: tuple[CreditNoteLine, ...]
    pre_payment_amount: int
    post_payment_amount: int
    out_of_band_amount: int | None = None
    customer_balance_transaction: str | None = None
    refund: str | None = None
    refund_amount: int = 0
    reason: str | None = None
    memo: str | None = None
    metadata: Metadata = field(default_factory=dict)
    status: str = "issued"
    voided_at: int | None = None

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceTransaction:
    id: str
    created: int
    amount: int
    fee: int
    currency: str
    type: str
    reporting_category: str
    source: str
    available_on: int
    description: str | None = None
    status: str = "pending"
    payout: str | None = None
    """The automatic payout that settled it (not a Stripe field: ``?payout=`` filters by it)."""
    exchange_rate: Decimal | None = None
    """Set when the object behind it was in another currency (units of ``currency`` per unit)."""

    @property
    def net(self) -> int:
        return self.amount - self.fee


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispute:
    """A cardholder's dispute of a charge (an inquiry while its status starts ``warning_``)."""

    id: str
    created: int
    amount: int
    currency: str
    charge: str
    payment_intent: str | None
    reason: str
    status: str
    due_by: int
    balance_transactions: tuple[BalanceTransaction, ...] = ()
    """The funds withdrawn and, for a won dispute, reinstated (zero, one or two)."""
    has_evidence: bool = False
    submission_count: int = 0
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Payout:
    id: str
    created: int
    amount: int
    currency: str
    arrival_date: int
    balance_transaction: str
    destination: str
    status: str = "in_transit"
    automatic: bool = True
    description: str | None = "STRIPE PAYOUT"
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    id: str
    created: int
    type: str
    object: Any
    """The record as it was when the event happened (rendered on demand)."""
    previous_attributes: Mapping[str, Any] | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    pending_webhooks: int = 0


Record = (Customer | Invoice | InvoiceItem | InvoicePayment | PaymentIntent | Charge | Refund
          | CreditNote | BalanceTransaction | Payout | Dispute | Event)
