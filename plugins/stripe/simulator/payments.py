"""Money moving in and out: payment intents, charges, invoice payments, refunds.

A card payment makes a succeeded payment intent, its charge and the charge's
balance transaction (amount, Stripe's fee, net, in the currency the account
settles the charge in: see :mod:`.account`); paying an invoice also marks its
invoice payment paid. A refund makes a negative balance transaction, converted
at its charge's rate.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.stripe.simulator import account, currencies, customers, listing, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import StripeError, invalid, missing_param, no_such
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]
DAY = 86400
AVAILABLE_AFTER = 2 * DAY
"""Card funds become available (and can be paid out) two days after the charge."""
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _intent(ctx: Ctx, amount: int, currency: str, customer: str | None,
            description: str | None, metadata: r.Metadata | None = None) -> r.PaymentIntent:
    store = ctx.store
    intent_id = ctx.new_id("pi_")
    intent = store.add(store.payment_intents, r.PaymentIntent(
        id=intent_id, created=ctx.now(), amount=amount, currency=currency, customer=customer,
        client_secret=f"{intent_id}_secret_{ctx.new_id('', 25)}", description=description,
        metadata=metadata or {}))
    ctx.emit("payment_intent.created", intent)
    return intent


def charge_card(ctx: Ctx, intent: r.PaymentIntent, payment_method: str) -> r.Charge:
    """Capture ``intent`` in full on a card: the charge, its balance transaction, events."""
    store = ctx.store
    now = ctx.now()
    charge_id = ctx.new_id("ch_")
    settled_in, amount, rate = store.account.settle(intent.amount, intent.currency)
    txn = store.add(store.balance_transactions, r.BalanceTransaction(
        id=ctx.new_id("txn_"), created=now, amount=amount,
        fee=currencies.card_fee(amount, settled_in), currency=settled_in, type="charge",
        reporting_category="charge", source=charge_id, available_on=now + AVAILABLE_AFTER,
        description=intent.description, exchange_rate=rate))
    store.unsettled.setdefault(txn.currency, []).append(txn.id)
    customer = store.customers.get(intent.customer) if intent.customer else None
    charge = store.add(store.charges, r.Charge(
        id=charge_id, created=now, amount=intent.amount, currency=intent.currency,
        customer=intent.customer, payment_intent=intent.id, payment_method=payment_method,
        balance_transaction=txn.id, description=intent.description,
        billing_name=customer.name if customer else None,
        billing_email=customer.email if customer else None,
        card_fingerprint=ctx.new_id("", 16), metadata=intent.metadata))
    store.charge_of_intent[intent.id] = charge.id
    succeeded = store.payment_intents.put(dataclasses.replace(
        intent, status="succeeded", amount_received=intent.amount, latest_charge=charge.id,
        payment_method=payment_method))
    ctx.emit("charge.succeeded", charge)
    ctx.emit("payment_intent.succeeded", succeeded)
    return charge


# ---------------------------------------------------------------- invoice payments


def open_invoice_payment(ctx: Ctx, invoice: r.Invoice) -> r.InvoicePayment:
    """The default invoice payment a finalized invoice gets, with its payment intent."""
    store = ctx.store
    intent = _intent(ctx, invoice.amount_due, invoice.currency, invoice.customer,
                     f"Payment for Invoice {invoice.number}")
    payment = store.add(store.invoice_payments, r.InvoicePayment(
        id=ctx.new_id("inpay_"), created=ctx.now(), invoice=invoice.id,
        currency=invoice.currency, amount_requested=invoice.amount_due,
        payment_type="payment_intent", payment_intent=intent.id))
    store.payments_of_invoice.setdefault(invoice.id, []).append(payment.id)
    store.payments_of_intent.setdefault(intent.id, []).append(payment.id)
    return payment


def _open_payments(ctx: Ctx, invoice_id: str) -> list[r.InvoicePayment]:
    store = ctx.store
    found = [store.invoice_payments.get(x) for x in store.payments_of_invoice.get(invoice_id, [])]
    return [x for x in found if x is not None and x.status == "open"]


def settle_invoice_payment(ctx: Ctx, invoice: r.Invoice, amount: int,
                           payment_method: str) -> r.InvoicePayment:
    """Pay ``amount`` of ``invoice`` by card through its open invoice payment."""
    store = ctx.store
    now = ctx.now()
    open_ = _open_payments(ctx, invoice.id)
    payment = open_[0] if open_ else open_invoice_payment(ctx, invoice)
    intent = store.payment_intents.get(payment.payment_intent or "")
    if intent is None or intent.status != "requires_payment_method":
        intent = _intent(ctx, amount, invoice.currency, invoice.customer,
                         f"Payment for Invoice {invoice.number}")
    elif intent.amount != amount:
        intent = store.payment_intents.put(dataclasses.replace(intent, amount=amount))
    charge_card(ctx, intent, payment_method)
    if intent.id != payment.payment_intent:
        store.payments_of_intent.setdefault(intent.id, []).append(payment.id)
    paid = store.invoice_payments.put(dataclasses.replace(
        payment, payment_intent=intent.id, amount_requested=amount, amount_paid=amount,
        status="paid", paid_at=now))
    ctx.emit("invoice_payment.paid", paid)
    return paid


def cancel_invoice_payments(ctx: Ctx, invoice: r.Invoice, reason: str) -> None:
    """Cancel what was still open for the invoice (paid out of band, or voided)."""
    store = ctx.store
    now = ctx.now()
    for payment in _open_payments(ctx, invoice.id):
        store.invoice_payments.put(dataclasses.replace(payment, status="canceled",
                                                       canceled_at=now))
        intent = store.payment_intents.get(payment.payment_intent or "")
        if intent is not None and intent.status == "requires_payment_method":
            canceled = store.payment_intents.put(dataclasses.replace(
                intent, status="canceled", canceled_at=now, cancellation_reason=reason))
            ctx.emit("payment_intent.canceled", canceled)


def retrieve_invoice_payment(ctx: Ctx, p: Params, payment_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        payment = ctx.store.invoice_payments.get(payment_id)
    if payment is None:
        raise no_such("invoice_payment", payment_id)
    return shapes.invoice_payment(payment)


def list_invoice_payments(ctx: Ctx, p: Params, invoice_id: str | None = None) -> JSON:
    invoice = invoice_id or p.text("invoice")
    status = p.text("status", choices=("canceled", "open", "paid"))
    kind = intent = None
    payment = p.hash("payment")
    if payment is not None:
        kind = payment.text("type", required=True,
                            choices=("payment_intent", "payment_record", "charge"))
        intent = payment.text("payment_intent")
        payment.skip("payment_record")

    def keep(x: r.InvoicePayment) -> bool:
        return ((invoice is None or x.invoice == invoice)
                and (status is None or x.status == status)
                and (kind is None or x.payment_type == kind)
                and (intent is None or x.payment_intent == intent))

    url = shapes.invoice_payments_url(invoice_id) if invoice_id else "/v1/invoice_payments"
    store = ctx.store
    collection = store.invoice_payments
    if invoice is not None:
        collection = store.subset(collection, store.payments_of_invoice.get(invoice, []))
    elif intent is not None:
        collection = store.subset(collection, store.payments_of_intent.get(intent, []))
    return listing.page(store, p, collection, url, keep)


# ---------------------------------------------------------------- payment intents


def create_intent(ctx: Ctx, p: Params) -> JSON:
    """A payment intent; with ``confirm=true`` and a card, paid at once (no invoice)."""
    amount = p.integer("amount", required=True, minimum=1)
    currency_in = p.text("currency", required=True)
    assert amount is not None and currency_in is not None
    currency = currencies.normalize(currency_in)
    customer_id = p.text("customer")
    description = p.text("description")
    metadata = p.metadata({})
    payment_method = p.text("payment_method")
    confirm = bool(p.flag("confirm"))
    p.skip("payment_method_types", "receipt_email", "statement_descriptor_suffix")
    automatic = p.hash("automatic_payment_methods")
    if automatic is not None:
        automatic.skip("enabled", "allow_redirects")
    p.done()
    if customer_id:
        customers.get(ctx, customer_id, "customer")
    currencies.check_charge_amount(amount, currency)
    if confirm and not payment_method:
        raise missing_param("payment_method")
    with ctx.store.lock:
        intent = _intent(ctx, amount, currency, customer_id, description, metadata)
        if confirm and payment_method:
            charge_card(ctx, intent, payment_method)
            intent = ctx.store.payment_intents.get(intent.id) or intent
    return shapes.payment_intent(intent)


def retrieve_intent(ctx: Ctx, p: Params, intent_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        intent = ctx.store.payment_intents.get(intent_id)
    if intent is None:
        raise no_such("payment_intent", intent_id)
    return shapes.payment_intent(intent)


def list_intents(ctx: Ctx, p: Params) -> JSON:
    customer = p.text("customer")
    return listing.page(ctx.store, p, ctx.store.payment_intents, "/v1/payment_intents",
                        lambda x: customer is None or x.customer == customer)


# ---------------------------------------------------------------- charges


def retrieve_charge(ctx: Ctx, p: Params, charge_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        charge = ctx.store.charges.get(charge_id)
    if charge is None:
        raise no_such("charge", charge_id)
    return shapes.charge(charge)


def list_charges(ctx: Ctx, p: Params) -> JSON:
    customer = p.text("customer")
    intent = p.text("payment_intent")
    return listing.page(ctx.store, p, ctx.store.charges, "/v1/charges",
                        lambda x: (customer is None or x.customer == customer)
                        and (intent is None or x.payment_intent == intent))


# ---------------------------------------------------------------- refunds


def refund_charge(ctx: Ctx, charge: r.Charge, amount: int | None, reason: str | None = None,
                  metadata: r.Metadata | None = None) -> r.Refund:
    """Refund (part of) a charge: the refund, its negative balance transaction, events."""
    store = ctx.store
    left = charge.amount - charge.amount_refunded
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise invalid(f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                      f"({left})" if amount > left else "Refund amount must be positive.",
                      "amount")
    currencies.check_charge_amount(amount, charge.currency)
    now = ctx.now()
    refund_id = ctx.new_id("re_")
    settled_in, back, rate = charge.currency, amount, None
    charged = store.balance_transactions.get(charge.balance_transaction)
    if charged is not None and charged.exchange_rate is not None:  # at the charge's rate
        settled_in, rate = charged.currency, charged.exchange_rate
        back = account.convert(amount, charge.currency, settled_in, rate)
    txn = store.add(store.balance_transactions, r.BalanceTransaction(
        id=ctx.new_id("txn_"), created=now, amount=-back, fee=0, currency=settled_in,
        type="refund", reporting_category="refund", source=refund_id, available_on=now,
        status="available", description="REFUND FOR CHARGE", exchange_rate=rate))
    store.unsettled.setdefault(txn.currency, []).append(txn.id)
    refund = store.add(store.refunds, r.Refund(
        id=refund_id, created=now, amount=amount, currency=charge.currency, charge=charge.id,
        payment_intent=charge.payment_intent, balance_transaction=txn.id,
        customer=charge.customer, reason=reason, metadata=metadata or {}))
    refunded = store.charges.put(dataclasses.replace(charge, refunds=(*charge.refunds, refund)))
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", refunded)
    return refund


def create_refund(ctx: Ctx, p: Params) -> JSON:
    charge_id = p.text("charge")
    intent_id = p.text("payment_intent")
    amount = p.integer("amount", minimum=1)
    reason = p.text("reason", choices=REFUND_REASONS)
    metadata = p.metadata({})
    p.skip("instructions_email")
    p.done()
    store = ctx.store
    with store.lock:
        if charge_id is None and intent_id is not None:
            charge_id = store.charge_of_intent.get(intent_id)
            if charge_id is None:
                raise invalid(f"This PaymentIntent ({intent_id}) does not have a successful "
                              "charge to refund.", "payment_intent")
        if charge_id is None:
            raise missing_param("charge")
        charge = store.charges.get(charge_id)
        if charge is None:
            raise no_such("charge", charge_id, "charge", status=400)
        if charge.amount_refunded >= charge.amount:
            raise StripeError(400, f"Charge {charge_id} has already been refunded.",
                              code="charge_already_refunded", executed=True)
        refund = refund_charge(ctx, charge, amount, reason, metadata)
    return shapes.refund(refund)


def retrieve_refund(ctx: Ctx, p: Params, refund_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        refund = ctx.store.refunds.get(refund_id)
    if refund is None:
        raise no_such("refund", refund_id)
    return shapes.refund(refund)


def update_refund(ctx: Ctx, p: Params, refund_id: str) -> JSON:
    """``POST /v1/refunds/{id}``: only the metadata of a refund can change."""
    with ctx.store.lock:
        current = ctx.store.refunds.get(refund_id)
        if current is None:
            raise no_such("refund", refund_id)
        metadata = p.metadata(current.metadata)
        p.done()
        refund = dataclasses.replace(current, metadata=metadata)
        if refund == current:
            return shapes.refund(current)
        ctx.store.refunds.put(refund)
        charge = ctx.store.charges.get(refund.charge)
        if charge is not None:
            ctx.store.charges.put(dataclasses.replace(charge, refunds=tuple(
                refund if old.id == refund.id else old for old in charge.refunds)))
        ctx.emit("refund.updated", refund, current)
        ctx.emit("charge.refund.updated", refund, current)
    return shapes.refund(refund)


def list_refunds(ctx: Ctx, p: Params) -> JSON:
    charge = p.text("charge")
    intent = p.text("payment_intent")
    return listing.page(ctx.store, p, ctx.store.refunds, "/v1/refunds",
                        lambda x: (charge is None or x.charge == charge)
                        and (intent is None or x.payment_intent == intent))


def list_charge_refunds(ctx: Ctx, p: Params, charge_id: str) -> JSON:
    with ctx.store.lock:
        if ctx.store.charges.get(charge_id) is None:
            raise no_such("charge", charge_id)
    return listing.page(ctx.store, p, ctx.store.refunds, shapes.charge_refunds_url(charge_id),
                        lambda x: x.charge == charge_id)
