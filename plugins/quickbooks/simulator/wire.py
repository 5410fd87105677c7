"""JSON in and out with money kept as ``Decimal`` (:mod:`plugins.quickbooks.jsonwire`,
shared with the connector), and the simulator's own number helpers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from plugins.quickbooks.jsonwire import dumps, loads, number_text

__all__ = ["ZERO", "dumps", "loads", "money", "number_text", "to_decimal"]

CENT = Decimal("0.01")
ZERO = Decimal(0)


def to_decimal(value: Any) -> Decimal | None:
    """A JSON number or numeric string as ``Decimal``; None for empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and value.strip():
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)
