"""What the Stripe pusher writes: a canonical invoice's lines, metadata and days as
Stripe's parameters, and how a Stripe line is compared with the one the hub wants."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hub import Customer, Invoice, currency_exponent, from_minor_units, to_minor_units
from plugins.stripe.api import Obj

META_SOURCE = "hub_source"
META_ID = "hub_external_id"
META_NUMBER = "hub_number"
METADATA_KEYS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 50, 40, 500


def metadata_of(record: Customer | Invoice) -> dict[str, str]:
    """The record's own metadata that fits Stripe's limits, and the hub's references."""
    ours = {META_SOURCE: record.source, META_ID: record.external_id}
    if isinstance(record, Invoice):
        ours[META_NUMBER] = record.number
    out = {k: v[:METADATA_VALUE_LENGTH] for k, v in record.metadata.items()
           if len(k) <= METADATA_KEY_LENGTH and k not in ours}
    keep = dict(list(out.items())[:METADATA_KEYS - len(ours)])
    return {**keep, **{k: v[:METADATA_VALUE_LENGTH] for k, v in ours.items()}}


def lines_of(inv: Invoice) -> list[dict[str, Any]]:
    """The invoice's lines as ``add_lines`` parameters, in minor units; tax as a line."""
    cur = inv.currency
    out = [line_of(line.amount, line.description, line.quantity, line.unit_price, cur)
           for line in inv.lines]
    if not inv.lines:
        subtotal = inv.subtotal if inv.subtotal is not None else Decimal(0)
        out.append(line_of(subtotal, f"Invoice {inv.number}", None, None, cur))
    if inv.tax:
        out.append(line_of(inv.tax, "Tax", None, None, cur))
    return out


def line_of(amount: Decimal, description: str, quantity: Decimal | None,
          unit_price: Decimal | None, currency: str) -> dict[str, Any]:
    """One line: a whole quantity at a unit price when they make the amount exactly,
    else the amount alone (Stripe then shows a quantity of 1)."""
    minor = to_minor_units(amount, currency)
    if (quantity is not None and unit_price is not None and quantity > 1
            and quantity == quantity.to_integral_value()):
        unit = unit_price.scaleb(currency_exponent(currency))
        if unit >= 0 and unit * quantity == minor:
            return {"quantity": int(quantity), "description": description or "Item",
                    "price_data": {"currency": currency.lower(),
                                   "unit_amount_decimal": plain_number(unit),
                                   "product_data": {"name": description or "Item"}}}
    line: dict[str, Any] = {"amount": minor}
    if description:
        line["description"] = description
    return line


def plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def line_shape(line: Obj) -> tuple[int, str]:
    """What a Stripe line says that the hub sets: amount and description."""
    return int(line["amount"]), str(line.get("description") or "")


def wanted_shape(line: Mapping[str, Any]) -> tuple[int, str]:
    if "amount" in line:
        return int(line["amount"]), str(line.get("description") or "")
    amount = Decimal(line["price_data"]["unit_amount_decimal"]) * int(line["quantity"])
    return int(amount), str(line.get("description") or "")


def day_of(stamp: Any) -> date | None:
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        return None
    return datetime.fromtimestamp(stamp, UTC).date()


def money_text(minor: int, currency: str) -> str:
    return f"{from_minor_units(minor, currency):,} {currency}"
