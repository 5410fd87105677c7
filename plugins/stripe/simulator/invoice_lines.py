"""An invoice's lines and the invoice items behind them: add and remove lines on
a draft, create, retrieve and list invoice items, list an invoice's lines.

A line comes from an invoice item: adding a line makes the item (or takes a
pending one of the customer's), removing it deletes the item or leaves it
pending for the customer's next invoice. Only a draft's lines change.
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from plugins.stripe.simulator import currencies, customers, listing, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import bad_state, invalid, missing_param, no_such
from plugins.stripe.simulator.invoices import attach, get, put
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]


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
        invoice = attach(ctx, dataclasses.replace(current, metadata=invoice_metadata),
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
        invoice = put(ctx, dataclasses.replace(
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
            updated = attach(ctx, current, [item])
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
