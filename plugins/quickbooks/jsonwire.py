"""JSON with money kept as ``Decimal``, both ways, as QuickBooks Online writes it.

QuickBooks writes amounts as JSON numbers (``150.0``). They are read with
``parse_float=Decimal`` and written by :func:`dumps` from their decimal
digits: no amount ever passes through a float. The connector's requests and
the simulator's answers both go through here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


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
