"""Credit notes: ``/v1/credit_notes`` create, retrieve, update, list, and their lines.

On an open invoice a credit note is *pre-payment*: it lowers what is due (and
an invoice credited down to nothing is paid). On a paid invoice it is
*post-payment*: the amount goes back as a refund of the invoice's charge, a
credit to the customer's balance, or money returned outside Stripe
(``refund_amount`` / ``credit_amount`` / ``out_of_band_amount``; by default
all of it to the customer's balance).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.stripe.simulator import customers, invoices, listing, payments, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import bad_state, invalid, missing_param, no_such
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]
REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")


def _lines(ctx: Ctx, p: Params, invoice: r.Invoice) -> list[r.CreditNoteLine]:
    out: list[r.CreditNoteLine] = []
    by_id = {line.id: line for line in invoice.lines}
    for line in p.hashes("lines"):
        kind = line.text("type", required=True, choices=("invoice_line_item", "custom_line_item"))
        description = line.text("description")
        quantity = line.integer("quantity", minimum=1)
        metadata = line.metadata({})
        line.skip("tax_rates", "tax_amounts")
        if kind == "invoice_line_item":
            line_id = line.text("invoice_line_item", required=True)
            assert line_id is not None
            source = by_id.get(line_id)
            if source is None:
                raise invalid(f"Invoice line item {line_id} is not on invoice {invoice.id}.",
                              line.name("invoice_line_item"))
            amount = line.integer("amount", minimum=1)
            if amount is None:
                amount = source.amount if quantity is None else (
                    source.amount * quantity // max(source.quantity, 1))
            out.append(r.CreditNoteLine(
                id=ctx.new_id("cnli_"), type=kind, amount=amount,
                description=description or source.description,
                quantity=quantity or source.quantity, unit_amount=None,
                invoice_line_item=line_id, metadata=metadata))
        else:
            unit = line.integer("unit_amount", required=True, minimum=1)
            assert unit is not None
            if description is None:
                raise missing_param(line.name("description"))
            out.append(r.CreditNoteLine(
                id=ctx.new_id("cnli_"), type="custom_line_item", amount=unit * (quantity or 1),
                description=description, quantity=quantity or 1, unit_amount=unit,
                metadata=metadata))
    return out


def create(ctx: Ctx, p: Params) -> JSON:
    invoice_id = p.text("invoice", required=True)
    assert invoice_id is not None
    invoice = invoices.get(ctx, invoice_id)
    lines = _lines(ctx, p, invoice)
    amount = p.integer("amount", minimum=1)
    if lines and amount is not None and amount != sum(x.amount for x in lines):
        raise invalid("amount must equal the sum of the lines when both are given.", "amount")
    if not lines:
        if amount is None:
            raise missing_param("amount")
        lines = [r.CreditNoteLine(id=ctx.new_id("cnli_"), type="custom_line_item",
                                  amount=amount, description="Credit", quantity=1,
                                  unit_amount=amount)]
    refund_amount = p.integer("refund_amount", minimum=0) or 0
    credit_amount = p.integer("credit_amount", minimum=0)
    out_of_band = p.integer("out_of_band_amount", minimum=0)
    reason = p.text("reason", choices=REASONS)
    memo = p.text("memo")
    metadata = p.metadata({})
    p.skip("email_type", "effective_at")
    p.done()
    total = sum(x.amount for x in lines)
    store = ctx.store
    with store.lock:
        current = invoices.get(ctx, invoice_id)
        if current.status not in ("open", "paid", "uncollectible"):
            raise bad_state(f"You can only create a credit note for a finalized invoice; "
                            f"{current.id} is {current.status}.", None, "invoice")
        now = ctx.now()
        sequence = 1 + len(store.credit_notes_of_invoice.get(current.id, []))
        number = f"{current.number}-CN-{sequence:02d}"
        balance_txn = refund_id = None
        if current.status == "paid":
            creditable = current.total - current.post_payment_credit_notes_amount
            if total > creditable:
                raise invalid(f"The credit note total ({total}) is more than what can still be "
                              f"credited on the invoice ({creditable}).", "amount")
            if credit_amount is None:
                credit_amount = total - refund_amount - (out_of_band or 0)
            if refund_amount + credit_amount + (out_of_band or 0) != total:
                raise invalid("refund_amount, credit_amount and out_of_band_amount must add up "
                              "to the credit note's total.", "refund_amount")
            if refund_amount:
                charge = _charge_of(ctx, current)
                if charge is None:
                    raise invalid("This invoice was not paid through Stripe; nothing to refund.",
                                  "refund_amount")
                refund_id = payments.refund_charge(ctx, charge, refund_amount, None).id
            if credit_amount:
                customer = customers.get(ctx, current.customer, "customer", live=False)
                credited = store.customers.put(dataclasses.replace(
                    customer, balance=customer.balance - credit_amount))
                balance_txn = ctx.new_id("cbtxn_")
                ctx.emit("customer.updated", credited, customer)
            updated = dataclasses.replace(
                current, post_payment_credit_notes_amount=(
                    current.post_payment_credit_notes_amount + total))
            kind, pre, post = "post_payment", 0, total
        else:
            if total > current.amount_remaining:
                raise invalid(f"The credit note total ({total}) is more than the invoice's "
                              f"amount remaining ({current.amount_remaining}).", "amount")
            if refund_amount or credit_amount or out_of_band:
                raise invalid("refund_amount, credit_amount and out_of_band_amount apply to "
                              "paid invoices only.", "refund_amount")
            updated = dataclasses.replace(
                current, pre_payment_credit_notes_amount=(
                    current.pre_payment_credit_notes_amount + total))
            if updated.amount_remaining == 0:
                updated = dataclasses.replace(updated, status="paid", paid_at=now)
            kind, pre, post = "pre_payment", total, 0
        note = store.add(store.credit_notes, r.CreditNote(
            id=ctx.new_id("cn_"), created=now, number=number, invoice=current.id,
            customer=current.customer, currency=current.currency, type=kind,
            lines=tuple(lines), pre_payment_amount=pre, post_payment_amount=post,
            out_of_band_amount=out_of_band, customer_balance_transaction=balance_txn,
            refund=refund_id, refund_amount=refund_amount, reason=reason, memo=memo,
            metadata=metadata))
        store.credit_notes_of_invoice.setdefault(current.id, []).append(note.id)
        store.invoices.put(updated)
        if updated.status == "paid" and current.status != "paid":
            payments.cancel_invoice_payments(ctx, updated, "void_invoice")
        ctx.emit("credit_note.created", note)
        ctx.emit("invoice.updated", updated, current)
        if updated.status == "paid" and current.status != "paid":
            ctx.emit("invoice.paid", updated)
    return shapes.credit_note(note)


def _charge_of(ctx: Ctx, invoice: r.Invoice) -> r.Charge | None:
    store = ctx.store
    for payment_id in store.payments_of_invoice.get(invoice.id, []):
        payment = store.invoice_payments.get(payment_id)
        if payment is not None and payment.status == "paid" and payment.payment_intent:
            charge_id = store.charge_of_intent.get(payment.payment_intent)
            if charge_id is not None:
                return store.charges.get(charge_id)
    return None


def get(ctx: Ctx, note_id: str) -> r.CreditNote:
    with ctx.store.lock:
        note = ctx.store.credit_notes.get(note_id)
    if note is None:
        raise no_such("credit_note", note_id)
    return note


def retrieve(ctx: Ctx, p: Params, note_id: str) -> JSON:
    p.done()
    return shapes.credit_note(get(ctx, note_id))


def update(ctx: Ctx, p: Params, note_id: str) -> JSON:
    """``POST /v1/credit_notes/{id}``: a credit note's memo and metadata can change."""
    with ctx.store.lock:
        current = get(ctx, note_id)
        changes: dict[str, Any] = {"metadata": p.metadata(current.metadata)}
        if p.raw("memo") is not None:
            changes["memo"] = p.text("memo") or None
        p.done()
        note = dataclasses.replace(current, **changes)
        if note != current:
            ctx.store.credit_notes.put(note)
            ctx.emit("credit_note.updated", note, current)
    return shapes.credit_note(note)


def list_(ctx: Ctx, p: Params) -> JSON:
    customer = p.text("customer")
    invoice = p.text("invoice")
    store = ctx.store
    collection = store.credit_notes
    if invoice is not None:
        collection = store.subset(collection, store.credit_notes_of_invoice.get(invoice, []))
    return listing.page(store, p, collection, "/v1/credit_notes",
                        lambda x: (customer is None or x.customer == customer)
                        and (invoice is None or x.invoice == invoice))


def list_lines(ctx: Ctx, p: Params, note_id: str) -> JSON:
    note = get(ctx, note_id)
    return listing.page_in_order(p, list(note.lines), shapes.credit_note_lines_url(note_id),
                                 shapes.credit_note_line, "credit_note_line_item")
