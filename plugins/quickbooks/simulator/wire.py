"""JSON in and out with money kept as ``Decimal``.

Requests are parsed with ``parse_float=Decimal`` so no amount ever passes
through a float; answers are written by :func:`dumps`, which writes a
``Decimal`` as its decimal text, a JSON number (``150.0``, ``12.5``), as
QuickBooks does.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def loads(raw: bytes | str) -> Any:
    return json.loads(raw, parse_float=Decimal)


def number_text(value: Decimal) -> str:
    """``Decimal("150.00")`` -> ``150.0``; ``Decimal("12.50")`` -> ``12.5``."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):f}.0"
    return f"{value.normalize():f}"


def dumps(value: Any) -> str:
    """Compact JSON; ``Decimal`` as a number written from its digits."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, Decimal):
        out.append(number_text(value))
    elif isinstance(value, float):
        raise TypeError("floats are not written: amounts are Decimal")
    else:
        out.append(json.dumps(value))


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
