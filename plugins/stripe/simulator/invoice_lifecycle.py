"""An invoice's life after the draft: finalize, pay, void, mark uncollectible.

The life of an invoice as Stripe runs it (API version basil and later):
finalizing gives it a number from the customer's prefix and sequence and a
default invoice payment (with its payment intent) for the amount due; paying
it by card settles that payment; paying it out of band (``paid_out_of_band``)
marks it paid with no money through Stripe: ``amount_paid`` stays what Stripe
itself collected, ``amount_remaining`` drops to 0 and the default payment is
canceled. Every change emits its event.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.stripe.simulator import currencies, customers, payments, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import StripeError, bad_state
from plugins.stripe.simulator.invoices import DAY, get, put
from plugins.stripe.simulator.params import Params
from plugins.stripe.simulator.store import SentInvoice

JSON = dict[str, Any]
DECLINING_METHODS = {"pm_card_chargeDeclined": "generic_decline",
                     "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds"}


def finalize(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    auto_advance = p.flag("auto_advance")
    p.done()
    store = ctx.store
    with store.lock:
        current = get(ctx, invoice_id, "id")
        if current.status != "draft":
            raise bad_state("This invoice is already finalized, you can't re-finalize a "
                            "non-draft invoice.", "invoice_not_editable")
        customer = customers.get(ctx, current.customer, "customer", live=False)
        now = ctx.now()
        number = current.number
        if number is None:
            number = f"{customer.invoice_prefix}-{customer.next_invoice_sequence:04d}"
            store.customers.put(dataclasses.replace(
                customer, next_invoice_sequence=customer.next_invoice_sequence + 1))
        due_date = current.due_date
        if current.days_until_due is not None:
            due_date = now + current.days_until_due * DAY
        invoice = dataclasses.replace(
            current, status="open", number=number, finalized_at=now, due_date=due_date,
            auto_advance=current.auto_advance if auto_advance is None else auto_advance)
        if invoice.amount_due == 0:
            invoice = put(ctx, dataclasses.replace(invoice, status="paid", paid_at=now))
            ctx.emit("invoice.finalized", invoice)
            ctx.emit("invoice.paid", invoice)
            return shapes.invoice(invoice)
        invoice = put(ctx, invoice)
        payments.open_invoice_payment(ctx, invoice)
        ctx.emit("invoice.finalized", invoice)
    return shapes.invoice(invoice)


def pay(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    out_of_band = bool(p.flag("paid_out_of_band"))
    payment_method = p.text("payment_method") or "pm_card_visa"
    p.skip("forgive", "off_session", "mandate", "source")
    p.done()
    store = ctx.store
    with store.lock:
        current = get(ctx, invoice_id, "id")
        if current.status == "paid":
            raise bad_state("Invoice is already paid")
        if current.status not in ("open", "uncollectible"):
            raise bad_state(f"You cannot pay an invoice that is {current.status}.",
                            "invoice_not_editable" if current.status == "draft" else None)
        now = ctx.now()
        if out_of_band:
            invoice = put(ctx, dataclasses.replace(
                current, status="paid", paid_out_of_band=True, paid_at=now))
            payments.cancel_invoice_payments(ctx, invoice, "void_invoice")
            ctx.emit("invoice.paid", invoice)
            return shapes.invoice(invoice)
        amount = current.amount_remaining
        attempted = dataclasses.replace(current, attempted=True,
                                        attempt_count=current.attempt_count + 1)
        decline = DECLINING_METHODS.get(payment_method)
        if decline is not None:
            failed = put(ctx, attempted)
            ctx.emit("invoice.payment_failed", failed)
            raise StripeError(402, "Your card was declined.", type="card_error",
                              code="card_declined", extra={"decline_code": decline},
                              executed=True)
        currencies.check_charge_amount(amount, current.currency)
        payments.settle_invoice_payment(ctx, current, amount, payment_method)
        invoice = put(ctx, dataclasses.replace(
            attempted, status="paid", amount_paid=current.amount_paid + amount, paid_at=now))
        ctx.emit("invoice.paid", invoice)
        ctx.emit("invoice.payment_succeeded", invoice)
    return shapes.invoice(invoice)


def attach_payment(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    """``POST /v1/invoices/{id}/attach_payment``: a payment intent that succeeded pays
    (part of) an open invoice (Stripe's partial payments): a paid invoice payment for the
    intent's amount; the invoice is paid once nothing remains."""
    intent_id = p.text("payment_intent", required=True)
    p.skip("payment_record")
    p.done()
    store = ctx.store
    with store.lock:
        current = get(ctx, invoice_id, "id")
        if current.status != "open":
            raise bad_state(f"You cannot attach a payment to an invoice that is "
                            f"{current.status}.")
        intent = store.payment_intents.get(intent_id or "")
        if intent is None:
            raise StripeError(400, f"No such payment_intent: '{intent_id}'",
                              param="payment_intent", code="resource_missing")
        if intent.status != "succeeded" or intent.currency != current.currency:
            raise StripeError(400, f"The PaymentIntent {intent.id} must have succeeded, in "
                              f"the invoice's currency ({current.currency}).",
                              param="payment_intent")
        if intent.amount > current.amount_remaining:
            raise StripeError(400, f"The PaymentIntent's amount ({intent.amount}) is more "
                              f"than the invoice's amount remaining "
                              f"({current.amount_remaining}).", param="payment_intent")
        now = ctx.now()
        paid = store.add(store.invoice_payments, r.InvoicePayment(
            id=ctx.new_id("inpay_"), created=now, invoice=current.id,
            currency=current.currency, amount_requested=intent.amount,
            amount_paid=intent.amount, payment_type="payment_intent",
            payment_intent=intent.id, status="paid", is_default=False, paid_at=now))
        store.payments_of_invoice.setdefault(current.id, []).append(paid.id)
        store.payments_of_intent.setdefault(intent.id, []).append(paid.id)
        ctx.emit("invoice_payment.paid", paid)
        invoice = dataclasses.replace(current, amount_paid=current.amount_paid + intent.amount)
        if invoice.amount_remaining == 0:
            invoice = put(ctx, dataclasses.replace(invoice, status="paid", paid_at=now))
            payments.cancel_invoice_payments(ctx, invoice, "void_invoice")
            ctx.emit("invoice.paid", invoice)
        else:
            invoice = put(ctx, invoice)
            ctx.emit("invoice.updated", invoice, current)
    return shapes.invoice(invoice)


def void(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        current = get(ctx, invoice_id, "id")
        if current.status not in ("open", "uncollectible"):
            raise bad_state(f"You can only void an open or uncollectible invoice; this one is "
                            f"{current.status}.")
        invoice = put(ctx, dataclasses.replace(current, status="void", voided_at=ctx.now()))
        payments.cancel_invoice_payments(ctx, invoice, "void_invoice")
        ctx.emit("invoice.voided", invoice)
    return shapes.invoice(invoice)


def mark_uncollectible(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        current = get(ctx, invoice_id, "id")
        if current.status != "open":
            raise bad_state(f"You can only mark an open invoice uncollectible; this one is "
                            f"{current.status}.")
        invoice = put(ctx, dataclasses.replace(current, status="uncollectible",
                                               marked_uncollectible_at=ctx.now()))
        ctx.emit("invoice.marked_uncollectible", invoice)
    return shapes.invoice(invoice)


def send(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    """``POST /v1/invoices/{id}/send``: e-mail a finalized ``send_invoice`` invoice to its
    customer (Stripe's API reference: "Send an invoice for manual payment"; test mode
    sends no e-mail but emits ``invoice.sent``, which the simulator keeps in
    ``store.sent_invoices``). A draft must be finalized first; a paid invoice may be
    sent (the e-mail then does not mention the payment); a void one may not."""
    p.done()
    store = ctx.store
    with store.lock:
        current = get(ctx, invoice_id, "id")
        if current.status == "draft":
            raise bad_state("You can only send an invoice that has been finalized. Finalize "
                            "it first (POST /v1/invoices/{id}/finalize).",
                            "invoice_not_editable")
        if current.status == "void":
            raise bad_state("You cannot send a void invoice.")
        if current.collection_method != "send_invoice":
            raise bad_state("You can only manually send an invoice if its collection method "
                            "is 'send_invoice'.")
        customer = customers.get(ctx, current.customer, "customer", live=False)
        to = current.customer_email or customer.email
        if not to:
            raise bad_state("The invoice cannot be sent: the customer has no email address. "
                            "Add one to the customer first.", param="customer")
        store.sent_invoices.append(SentInvoice(current.id, current.number, to, ctx.now(),
                                               ctx.request_id))
        ctx.emit("invoice.sent", current)
    return shapes.invoice(current)

