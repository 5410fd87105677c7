"""Invoices and their lines: draft, add lines, finalize, pay, void, mark uncollectible.

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
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from plugins.stripe.simulator import currencies, customers, listing, payments, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import StripeError, bad_state, invalid, missing_param, no_such
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]
DAY = 86400
COLLECTION_METHODS = ("charge_automatically", "send_invoice")
DECLINING_METHODS = {"pm_card_chargeDeclined": "generic_decline",
                     "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds"}


def get(ctx: Ctx, invoice_id: str, param: str = "invoice") -> r.Invoice:
    with ctx.store.lock:
        invoice = ctx.store.invoices.get(invoice_id)
    if invoice is None:
        raise no_such("invoice", invoice_id, param)
    return invoice


def _put(ctx: Ctx, invoice: r.Invoice) -> r.Invoice:
    return ctx.store.invoices.put(invoice)


# ---------------------------------------------------------------- create, update


def _due_fields(p: Params, method: str, current: r.Invoice | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if p.has("days_until_due"):
        out["days_until_due"] = p.integer("days_until_due", minimum=0, maximum=3650)
    if p.has("due_date"):
        out["due_date"] = p.integer("due_date", minimum=0)
    if method == "charge_automatically" and (out.get("days_until_due") is not None
                                             or out.get("due_date") is not None):
        raise invalid("Invoices with collection_method=charge_automatically cannot have a "
                      "due_date or days_until_due.", "days_until_due"
                      if out.get("days_until_due") is not None else "due_date")
    if method == "send_invoice":
        days = out.get("days_until_due", current.days_until_due if current else None)
        due = out.get("due_date", current.due_date if current else None)
        if days is None and due is None:
            raise missing_param("days_until_due")
    return out


def create(ctx: Ctx, p: Params) -> JSON:
    customer_id = p.text("customer", required=True)
    assert customer_id is not None
    method = p.text("collection_method", choices=COLLECTION_METHODS) or "charge_automatically"
    currency_in = p.text("currency")
    due = _due_fields(p, method, None)
    description = p.text("description", max_length=1500)
    footer = p.text("footer", max_length=5000)
    number = p.text("number", max_length=26)
    auto_advance = p.flag("auto_advance")
    behavior = p.text("pending_invoice_items_behavior", choices=("exclude", "include"))
    metadata = p.metadata({})
    p.done()
    customer = customers.get(ctx, customer_id, "customer")
    currency = (currencies.normalize(currency_in) if currency_in
                else customer.currency or "usd")
    store = ctx.store
    with store.lock:
        now = ctx.now()
        days = due.get("days_until_due")
        invoice = store.add(store.invoices, r.Invoice(
            id=ctx.new_id("in_"), created=now, customer=customer.id, currency=currency,
            collection_method=method, customer_name=customer.name,
            customer_email=customer.email, customer_phone=customer.phone,
            customer_address=customer.address, customer_tax_exempt=customer.tax_exempt,
            description=description, footer=footer, number=number, metadata=metadata,
            auto_advance=bool(auto_advance), days_until_due=days,
            due_date=due.get("due_date") or (now + days * DAY if days is not None else None),
        ))
        if customer.currency is None:
            store.customers.put(dataclasses.replace(customer, currency=currency))
        if behavior == "include":
            pending = [item for item in store.invoiceitems.values()
                       if item.customer == customer.id and item.invoice is None
                       and item.currency == currency]
            invoice = _attach(ctx, invoice, pending)
        ctx.emit("invoice.created", invoice)
    return shapes.invoice(invoice)


UPDATABLE_AFTER_FINALIZING = ("metadata", "description", "footer", "auto_advance", "expand")


def update(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    current = get(ctx, invoice_id, "id")
    if current.status != "draft":
        for key in p.names():
            if key not in UPDATABLE_AFTER_FINALIZING:
                raise bad_state(f"You can only update {key} on a draft invoice; "
                                f"this one is {current.status}.", "invoice_not_editable", key)
    changes: dict[str, Any] = {}
    if p.has("collection_method"):
        changes["collection_method"] = p.text("collection_method", choices=COLLECTION_METHODS)
    method = changes.get("collection_method", current.collection_method)
    changes.update(_due_fields(p, method, current))
    if method == "charge_automatically":
        changes.update(due_date=None, days_until_due=None)
    elif "days_until_due" in changes and "due_date" not in changes:
        days = changes["days_until_due"]
        changes["due_date"] = None if days is None else current.created + days * DAY
    for key, limit in (("description", 1500), ("footer", 5000), ("number", 26)):
        if p.has(key):
            changes[key] = p.text(key, max_length=limit)
    if p.has("auto_advance"):
        changes["auto_advance"] = bool(p.flag("auto_advance"))
    changes["metadata"] = p.metadata(current.metadata)
    p.done()
    with ctx.store.lock:
        current = get(ctx, invoice_id, "id")
        invoice = _put(ctx, dataclasses.replace(current, **changes))
        if invoice != current:
            ctx.emit("invoice.updated", invoice, current)
    return shapes.invoice(invoice)


# ---------------------------------------------------------------- lines


def _line_amount(p: Params, currency: str) -> tuple[int, int, str | None]:
    """(amount, quantity, unit_amount_decimal) of one new line or invoice item."""
    quantity = p.integer("quantity", minimum=0)
    amount = p.integer("amount")
    unit_decimal = p.decimal("unit_amount_decimal")
    price = p.hash("price_data")
    if price is not None:
        price_currency = price.text("currency", required=True)
        assert price_currency is not None
        if currencies.normalize(price_currency, price.name("currency")) != currency:
            raise invalid("The price's currency must be the invoice's currency.",
                          price.name("currency"))
        unit = price.integer("unit_amount")
        unit_decimal = price.decimal("unit_amount_decimal") if unit is None else Decimal(unit)
        price.skip("product", "tax_behavior")
        product = price.hash("product_data")
        if product is not None:
            product.skip("name", "metadata", "tax_code")
        if unit_decimal is None:
            raise missing_param(price.name("unit_amount"))
    given = [x for x in (amount, unit_decimal) if x is not None]
    if len(given) != 1:
        raise invalid("Give exactly one of amount, unit_amount_decimal or price_data.",
                      p.name("amount"))
    if amount is not None:
        if quantity not in (None, 1):
            raise invalid("amount can only be used with a quantity of 1; use "
                          "unit_amount_decimal for more.", p.name("quantity"))
        return amount, 1, str(amount)
    assert unit_decimal is not None
    qty = 1 if quantity is None else quantity
    total = (unit_decimal * qty).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(total), qty, format(unit_decimal.normalize(), "f")


def _period(p: Params, now: int) -> tuple[int, int]:
    period = p.hash("period")
    if period is None:
        return now, now
    start = period.integer("start", required=True)
    end = period.integer("end", required=True)
    assert start is not None and end is not None
    if end < start:
        raise invalid("The period's end must not be before its start.", period.name("end"))
    return start, end


def _new_item(ctx: Ctx, p: Params, customer: str, currency: str,
              invoice: str | None) -> r.InvoiceItem:
    amount, quantity, unit_decimal = _line_amount(p, currency)
    start, end = _period(p, ctx.now())
    return r.InvoiceItem(
        id=ctx.new_id("ii_"), created=ctx.now(), customer=customer, invoice=invoice,
        amount=amount, currency=currency, description=p.text("description"),
        quantity=quantity, unit_amount_decimal=unit_decimal, period_start=start,
        period_end=end, metadata=p.metadata({}),
        discountable=p.flag("discountable") is not False,
    )


def _line_of(ctx: Ctx, item: r.InvoiceItem, invoice_id: str) -> r.LineItem:
    return r.LineItem(
        id=ctx.new_id("il_"), invoice=invoice_id, invoice_item=item.id, amount=item.amount,
        currency=item.currency, description=item.description, quantity=item.quantity,
        unit_amount_decimal=item.unit_amount_decimal, period_start=item.period_start,
        period_end=item.period_end, metadata=item.metadata, discountable=item.discountable,
    )


def _attach(ctx: Ctx, invoice: r.Invoice, items: list[r.InvoiceItem]) -> r.Invoice:
    """Put invoice items on a draft invoice as lines (under the store lock)."""
    store = ctx.store
    lines = list(invoice.lines)
    for item in items:
        if item.id in store.invoiceitems:
            store.invoiceitems.put(dataclasses.replace(item, invoice=invoice.id))
        else:
            store.add(store.invoiceitems, item)
            ctx.emit("invoiceitem.created", item)
        lines.append(_line_of(ctx, item, invoice.id))
    return _put(ctx, dataclasses.replace(invoice, lines=tuple(lines)))


def _editable(invoice: r.Invoice) -> None:
    if invoice.status != "draft":
        raise bad_state(f"This invoice is {invoice.status}; lines can only change on a draft.",
                        "invoice_not_editable")


def add_lines(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    current = get(ctx, invoice_id, "id")
    new_items: list[r.InvoiceItem] = []
    existing: list[str] = []
    for line in p.hashes("lines", required=True):
        if line.has("invoice_item"):
            item_id = line.text("invoice_item", required=True)
            assert item_id is not None
            existing.append(item_id)
            continue
        new_items.append(_new_item(ctx, line, current.customer, current.currency, invoice_id))
    invoice_metadata = p.metadata(current.metadata, "invoice_metadata")
    p.done()
    with ctx.store.lock:
        current = get(ctx, invoice_id, "id")
        _editable(current)
        for item_id in existing:
            item = ctx.store.invoiceitems.get(item_id)
            if item is None or item.invoice is not None or item.customer != current.customer:
                raise invalid(f"Invoice item {item_id} is not a pending item of this customer.",
                              "lines")
            new_items.append(item)
        invoice = _attach(ctx, dataclasses.replace(current, metadata=invoice_metadata),
                          new_items)
        ctx.emit("invoice.updated", invoice, current)
    return shapes.invoice(invoice)


def remove_lines(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    """Take lines off a draft: ``delete`` deletes their invoice items, ``unassign``
    leaves them pending for the customer's next invoice."""
    current = get(ctx, invoice_id, "id")
    removals: list[tuple[str, str]] = []
    for line in p.hashes("lines", required=True):
        line_id = line.text("id", required=True)
        behavior = line.text("behavior", required=True, choices=("delete", "unassign"))
        assert line_id is not None and behavior is not None
        removals.append((line_id, behavior))
    invoice_metadata = p.metadata(current.metadata, "invoice_metadata")
    p.done()
    store = ctx.store
    with store.lock:
        current = get(ctx, invoice_id, "id")
        _editable(current)
        on_invoice = {line.id: line for line in current.lines}
        for line_id, _ in removals:
            if line_id not in on_invoice:
                raise invalid(f"Line item {line_id} is not on invoice {invoice_id}.", "lines")
        for line_id, behavior in removals:
            item = store.invoiceitems.get(on_invoice[line_id].invoice_item)
            if item is None:
                continue
            if behavior == "delete":
                store.invoiceitems.remove(item.id)
            else:
                store.invoiceitems.put(dataclasses.replace(item, invoice=None))
        gone = {line_id for line_id, _ in removals}
        invoice = _put(ctx, dataclasses.replace(
            current, metadata=invoice_metadata,
            lines=tuple(line for line in current.lines if line.id not in gone)))
        ctx.emit("invoice.updated", invoice, current)
    return shapes.invoice(invoice)


def create_item(ctx: Ctx, p: Params) -> JSON:
    customer_id = p.text("customer", required=True)
    invoice_id = p.text("invoice")
    currency_in = p.text("currency")
    assert customer_id is not None
    customer = customers.get(ctx, customer_id, "customer")
    invoice = get(ctx, invoice_id, "invoice") if invoice_id else None
    currency = (invoice.currency if invoice else
                currencies.normalize(currency_in) if currency_in else customer.currency or "usd")
    if invoice is not None and currency_in and currencies.normalize(currency_in) != currency:
        raise invalid("The invoice item's currency must be the invoice's currency.", "currency")
    if invoice is not None and invoice.customer != customer.id:
        raise invalid("The invoice belongs to another customer.", "invoice")
    item = _new_item(ctx, p, customer.id, currency, invoice_id)
    p.done()
    with ctx.store.lock:
        if invoice is None:
            ctx.store.add(ctx.store.invoiceitems, item)
            ctx.emit("invoiceitem.created", item)
        else:
            current = get(ctx, invoice.id)
            _editable(current)
            updated = _attach(ctx, current, [item])
            ctx.emit("invoice.updated", updated, current)
    return shapes.invoice_item(item)


def retrieve_item(ctx: Ctx, p: Params, item_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        item = ctx.store.invoiceitems.get(item_id)
    if item is None:
        raise no_such("invoiceitem", item_id)
    return shapes.invoice_item(item)


def list_items(ctx: Ctx, p: Params) -> JSON:
    customer = p.text("customer")
    invoice = p.text("invoice")
    pending = p.flag("pending")

    def keep(item: r.InvoiceItem) -> bool:
        return ((customer is None or item.customer == customer)
                and (invoice is None or item.invoice == invoice)
                and (pending is None or (item.invoice is None) == pending))

    return listing.page(ctx.store, p, ctx.store.invoiceitems, "/v1/invoiceitems", keep)


def list_lines(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    invoice = get(ctx, invoice_id, "id")
    return listing.page_in_order(p, list(invoice.lines), shapes.invoice_lines_url(invoice_id),
                                 shapes.line_item, "line_item")


# ---------------------------------------------------------------- lifecycle


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
            invoice = _put(ctx, dataclasses.replace(invoice, status="paid", paid_at=now))
            ctx.emit("invoice.finalized", invoice)
            ctx.emit("invoice.paid", invoice)
            return shapes.invoice(invoice)
        invoice = _put(ctx, invoice)
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
            invoice = _put(ctx, dataclasses.replace(
                current, status="paid", paid_out_of_band=True, paid_at=now))
            payments.cancel_invoice_payments(ctx, invoice, "void_invoice")
            ctx.emit("invoice.paid", invoice)
            return shapes.invoice(invoice)
        amount = current.amount_remaining
        attempted = dataclasses.replace(current, attempted=True,
                                        attempt_count=current.attempt_count + 1)
        decline = DECLINING_METHODS.get(payment_method)
        if decline is not None:
            failed = _put(ctx, attempted)
            ctx.emit("invoice.payment_failed", failed)
            raise StripeError(402, "Your card was declined.", type="card_error",
                              code="card_declined", extra={"decline_code": decline},
                              executed=True)
        currencies.check_charge_amount(amount, current.currency)
        payments.settle_invoice_payment(ctx, current, amount, payment_method)
        invoice = _put(ctx, dataclasses.replace(
            attempted, status="paid", amount_paid=current.amount_paid + amount, paid_at=now))
        ctx.emit("invoice.paid", invoice)
        ctx.emit("invoice.payment_succeeded", invoice)
    return shapes.invoice(invoice)


def void(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        current = get(ctx, invoice_id, "id")
        if current.status not in ("open", "uncollectible"):
            raise bad_state(f"You can only void an open or uncollectible invoice; this one is "
                            f"{current.status}.")
        invoice = _put(ctx, dataclasses.replace(current, status="void", voided_at=ctx.now()))
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
        invoice = _put(ctx, dataclasses.replace(current, status="uncollectible",
                                                marked_uncollectible_at=ctx.now()))
        ctx.emit("invoice.marked_uncollectible", invoice)
    return shapes.invoice(invoice)


# ---------------------------------------------------------------- reading


def retrieve(ctx: Ctx, p: Params, invoice_id: str) -> JSON:
    p.done()
    return shapes.invoice(get(ctx, invoice_id, "id"))


def list_(ctx: Ctx, p: Params) -> JSON:
    customer = p.text("customer")
    status = p.text("status", choices=("draft", "open", "paid", "uncollectible", "void"))
    method = p.text("collection_method", choices=COLLECTION_METHODS)
    due_low, due_high = listing.time_range(p, "due_date")

    def keep(inv: r.Invoice) -> bool:
        if customer is not None and inv.customer != customer:
            return False
        if status is not None and inv.status != status:
            return False
        if method is not None and inv.collection_method != method:
            return False
        if due_low is not None or due_high is not None:
            if inv.due_date is None:
                return False
            if due_low is not None and inv.due_date < due_low:
                return False
            if due_high is not None and inv.due_date > due_high:
                return False
        return True

    return listing.page(ctx.store, p, ctx.store.invoices, "/v1/invoices", keep)


def payments_of(ctx: Ctx, invoice: JSON) -> JSON:
    """The includable ``invoice.payments``: its first 10 invoice payments, newest first."""
    store = ctx.store
    with store.lock:
        ids = store.payments_of_invoice.get(str(invoice["id"]), [])
        found = [store.invoice_payments.get(x) for x in reversed(ids)]
    rows = [shapes.invoice_payment(x) for x in found if x is not None]
    return shapes.list_object(rows[:shapes.LINES_SHOWN],
                              shapes.invoice_payments_url(str(invoice["id"])),
                              len(rows) > shapes.LINES_SHOWN)
