"""``expand[]``: ids replaced by the objects they name, includable fields added.

A path walks the answer (``data.balance_transaction`` on a list,
``payment.payment_intent`` on an invoice payment); at most 4 levels, as Stripe
allows. An invoice's ``payments`` is includable: shown only when expanded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.stripe.simulator import shapes
from plugins.stripe.simulator.errors import invalid
from plugins.stripe.simulator.store import Store

JSON = dict[str, Any]
MAX_DEPTH = 4
Includer = Callable[[JSON], JSON]


def expand(store: Store, answer: JSON, paths: list[str],
           includable: dict[tuple[str, str], Includer]) -> JSON:
    for path in paths:
        segments = path.split(".")
        if len(segments) > MAX_DEPTH:
            raise invalid(f"You cannot expand more than {MAX_DEPTH} levels of a property. "
                          f"Property: {path}", "expand")
        answer = _walk(store, answer, segments, path, includable)
    return answer


def _walk(store: Store, value: Any, segments: list[str], path: str,
          includable: dict[tuple[str, str], Includer]) -> Any:
    if not segments:
        return value
    if not isinstance(value, dict):
        return value
    key, rest = segments[0], segments[1:]
    if value.get("object") == "list" and key == "data":
        if not rest:
            raise _cannot(path, key)
        return {**value, "data": [_walk(store, item, rest, path, includable)
                                  for item in value["data"]]}
    if key in value and key != "id":
        current = value[key]
        if isinstance(current, str):
            current = _lookup(store, current)
            if current is None:
                raise _cannot(path, key)
        return {**value, key: _walk(store, current, rest, path, includable)}
    include = includable.get((str(value.get("object")), key))
    if include is None:
        raise _cannot(path, key)
    return {**value, key: _walk(store, include(value), rest, path, includable)}


def _lookup(store: Store, object_id: str) -> JSON | None:
    collection = store.collection_for_id(object_id)
    if collection is None:
        return None
    with store.lock:
        record = collection.get(object_id)
    return None if record is None else shapes.render(record)


def _cannot(path: str, key: str) -> Exception:
    return invalid(f"This property cannot be expanded ({key}).", "expand")
