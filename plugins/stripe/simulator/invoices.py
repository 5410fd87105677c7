"""Invoices themselves: create (a draft), update, retrieve, list, and the
includable ``payments`` of one.

Beside this module: :mod:`.invoice_lines` (lines on a draft and the invoice
items behind them) and :mod:`.invoice_lifecycle` (finalize, pay, void, mark
uncollectible). Both find and store invoices through :func:`get` and
:func:`put` here, and put invoice items on a draft with :func:`attach`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.stripe.simulator import currencies, customers, listing, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import bad_state, invalid, missing_param, no_such
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]
DAY = 86400
COLLECTION_METHODS = ("charge_automatically", "send_invoice")


def get(ctx: Ctx, invoice_id: str, param: str = "invoice") -> r.Invoice:
    with ctx.store.lock:
        invoice = ctx.store.invoices.get(invoice_id)
    if invoice is None:
        raise no_such("invoice", invoice_id, param)
    return invoice


def put(ctx: Ctx, invoice: r.Invoice) -> r.Invoice:
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
            invoice = attach(ctx, invoice, pending)
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
        invoice = put(ctx, dataclasses.replace(current, **changes))
        if invoice != current:
            ctx.emit("invoice.updated", invoice, current)
    return shapes.invoice(invoice)


# ---------------------------------------------------------------- items onto a draft


def _line_of(ctx: Ctx, item: r.InvoiceItem, invoice_id: str) -> r.LineItem:
    return r.LineItem(
        id=ctx.new_id("il_"), invoice=invoice_id, invoice_item=item.id, amount=item.amount,
        currency=item.currency, description=item.description, quantity=item.quantity,
        unit_amount_decimal=item.unit_amount_decimal, period_start=item.period_start,
        period_end=item.period_end, metadata=item.metadata, discountable=item.discountable,
    )


def attach(ctx: Ctx, invoice: r.Invoice, items: list[r.InvoiceItem]) -> r.Invoice:
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
    return put(ctx, dataclasses.replace(invoice, lines=tuple(lines)))


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
