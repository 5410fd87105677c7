"""Customers: ``/v1/customers`` create, retrieve, update, delete, list."""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.stripe.simulator import listing, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import invalid, no_such
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
TAX_EXEMPT = ("none", "exempt", "reverse")


def get(ctx: Ctx, customer_id: str, param: str = "id", *, live: bool = True) -> r.Customer:
    """The customer, or Stripe's 404 (also for a deleted one when ``live``)."""
    with ctx.store.lock:
        customer = ctx.store.customers.get(customer_id)
    if customer is None or (live and customer.deleted):
        raise no_such("customer", customer_id, param, status=404 if param == "id" else 400)
    return customer


def _address(p: Params, key: str) -> r.Address | None:
    hash_ = p.hash(key)
    if hash_ is None:
        return None
    return {field: hash_.text(field) for field in ADDRESS_FIELDS}


def _fields(p: Params, current: r.Customer | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("name", "email", "phone", "description"):
        if p.has(key):
            changes[key] = p.text(key, max_length=512 if key != "description" else 350)
    if p.has("address"):
        changes["address"] = _address(p, "address")
    if p.has("preferred_locales"):
        changes["preferred_locales"] = tuple(p.texts("preferred_locales") or ())
    if p.has("tax_exempt"):
        changes["tax_exempt"] = p.text("tax_exempt", choices=TAX_EXEMPT) or "none"
    if p.has("balance"):
        changes["balance"] = p.integer("balance") or 0
    if p.has("invoice_prefix"):
        prefix = p.text("invoice_prefix")
        if prefix is None or not (3 <= len(prefix) <= 12 and prefix.isalnum()
                                  and prefix == prefix.upper()):
            raise invalid("Invoice prefix must be 3-12 uppercase letters or digits.",
                          "invoice_prefix")
        changes["invoice_prefix"] = prefix
    changes["metadata"] = p.metadata(current.metadata if current else {})
    return changes


def create(ctx: Ctx, p: Params) -> JSON:
    changes = _fields(p, None)
    p.done()
    store = ctx.store
    with store.lock:
        prefix = changes.pop("invoice_prefix", None) or "".join(
            store.random().choice("0123456789ABCDEF") for _ in range(8))
        customer = store.add(store.customers, r.Customer(
            id=ctx.new_id("cus_", 14), created=ctx.now(), invoice_prefix=prefix, **changes))
        ctx.emit("customer.created", customer)
    return shapes.customer(customer)


def update(ctx: Ctx, p: Params, customer_id: str) -> JSON:
    current = get(ctx, customer_id)
    changes = _fields(p, current)
    p.done()
    with ctx.store.lock:
        current = get(ctx, customer_id)
        customer = ctx.store.customers.put(dataclasses.replace(current, **changes))
        if customer != current:
            ctx.emit("customer.updated", customer, current)
    return shapes.customer(customer)


def delete(ctx: Ctx, p: Params, customer_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        current = get(ctx, customer_id)
        customer = ctx.store.customers.put(dataclasses.replace(current, deleted=True))
        ctx.emit("customer.deleted", customer)
    return shapes.customer(customer)


def retrieve(ctx: Ctx, p: Params, customer_id: str) -> JSON:
    p.done()
    return shapes.customer(get(ctx, customer_id, live=False))


def list_(ctx: Ctx, p: Params) -> JSON:
    email = p.text("email")

    def keep(c: r.Customer) -> bool:
        return not c.deleted and (email is None or c.email == email)

    return listing.page(ctx.store, p, ctx.store.customers, "/v1/customers", keep)
