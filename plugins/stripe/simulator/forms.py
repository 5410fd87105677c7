"""Stripe's form encoding: ``metadata[k]=v``, ``lines[0][amount]=5``, ``expand[]=x``.

Parsed into nested dicts whose leaves are strings. An array comes out as a
dict keyed by index ("0", "1", ...): ``expand[]`` appends the next index, so
``expand[]=a&expand[]=b`` and ``expand[0]=a&expand[1]=b`` read the same.
:class:`~plugins.stripe.simulator.params.Params` turns such dicts into lists
where a list is expected.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from plugins.stripe.simulator.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def parse_form(encoded: str) -> dict[str, Any]:
    """The nested parameters of a query string or form body."""
    root: dict[str, Any] = {}
    try:
        pairs = parse_qsl(encoded, keep_blank_values=True, strict_parsing=False)
    except ValueError as exc:  # pragma: no cover - parse_qsl is lenient
        raise invalid(f"Invalid request body: {exc}") from exc
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        _put(root, path, value, key)
    return root


def _put(root: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node = root
    for depth, segment in enumerate(path):
        if segment == "":
            segment = str(len(node))
        last = depth == len(path) - 1
        if last:
            if isinstance(node.get(segment), dict):
                raise invalid(f"Invalid hash: {key} was given both a value and nested keys", key)
            node[segment] = value
            return
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid hash: {key} was given both a value and nested keys", key)
        node = child
