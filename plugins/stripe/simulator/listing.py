"""Stripe's list endpoints: newest first, ``limit``, cursors, ``created`` ranges.

``starting_after=X`` gives the next older page after object X,
``ending_before=X`` the page just newer than X (still listed newest first);
both at once is a 400. ``has_more`` says whether more objects lie beyond
the page in the direction read. ``url`` is the list's path, which the SDK
reuses for its next page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from plugins.stripe.simulator import shapes
from plugins.stripe.simulator.errors import invalid, no_such
from plugins.stripe.simulator.params import Params
from plugins.stripe.simulator.store import Collection, Store

JSON = dict[str, Any]
R = TypeVar("R")

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def time_range(p: Params, key: str = "created") -> tuple[int | None, int | None]:
    """Inclusive bounds from ``created=T`` or ``created[gt|gte|lt|lte]=T``."""
    if not p.has(key):
        return None, None
    raw = p.raw(key)
    if not isinstance(raw, dict):
        exact = p.integer(key)
        return exact, exact
    bounds = p.hash(key)
    assert bounds is not None
    low: int | None = None
    high: int | None = None
    gt, gte = bounds.integer("gt"), bounds.integer("gte")
    lt, lte = bounds.integer("lt"), bounds.integer("lte")
    for value in (None if gt is None else gt + 1, gte):
        if value is not None:
            low = value if low is None else max(low, value)
    for value in (None if lt is None else lt - 1, lte):
        if value is not None:
            high = value if high is None else min(high, value)
    return low, high


def page(
    store: Store,
    p: Params,
    collection: Collection[Any],
    url: str,
    keep: Callable[[Any], bool] | None = None,
    *,
    created_floor: int | None = None,
    render: Callable[[Any], JSON] = shapes.render,
) -> JSON:
    """One page of ``collection`` after the endpoint has read its own filters from ``p``."""
    limit = p.integer("limit", minimum=1, maximum=MAX_LIMIT) or DEFAULT_LIMIT
    starting_after = p.text("starting_after")
    ending_before = p.text("ending_before")
    low, high = time_range(p)
    p.done()
    if starting_after and ending_before:
        raise invalid("You may only specify one of these parameters: ending_before, "
                      "starting_after.", "ending_before")
    if created_floor is not None:
        low = created_floor if low is None else max(low, created_floor)
    with store.lock:
        lo, hi = collection.bounds(low, high)
        found: list[Any] = []
        if ending_before:
            at = collection.position(ending_before)
            if at is None:
                raise no_such(collection.kind, ending_before, "ending_before", status=400)
            index = max(lo, at + 1)
            while index < hi and len(found) <= limit:
                record = collection.at(index)
                if keep is None or keep(record):
                    found.append(record)
                index += 1
            has_more = len(found) > limit
            found = found[:limit][::-1]
        else:
            if starting_after:
                at = collection.position(starting_after)
                if at is None:
                    raise no_such(collection.kind, starting_after, "starting_after", status=400)
                hi = min(hi, at)
            index = hi - 1
            while index >= lo and len(found) <= limit:
                record = collection.at(index)
                if keep is None or keep(record):
                    found.append(record)
                index -= 1
            has_more = len(found) > limit
            found = found[:limit]
    return shapes.list_object([render(record) for record in found], url, has_more)


def page_in_order(p: Params, items: list[Any], url: str,
                  render: Callable[[Any], JSON], kind: str) -> JSON:
    """One page of a fixed sequence kept in its own order (an invoice's lines)."""
    limit = p.integer("limit", minimum=1, maximum=MAX_LIMIT) or DEFAULT_LIMIT
    starting_after = p.text("starting_after")
    ending_before = p.text("ending_before")
    p.done()
    if starting_after and ending_before:
        raise invalid("You may only specify one of these parameters: ending_before, "
                      "starting_after.", "ending_before")
    ids = [item.id for item in items]
    if ending_before:
        if ending_before not in ids:
            raise no_such(kind, ending_before, "ending_before", status=400)
        end = ids.index(ending_before)
        chosen = items[max(end - limit, 0):end]
        has_more = end - limit > 0
    else:
        start = 0
        if starting_after:
            if starting_after not in ids:
                raise no_such(kind, starting_after, "starting_after", status=400)
            start = ids.index(starting_after) + 1
        chosen = items[start:start + limit]
        has_more = start + limit < len(items)
    return shapes.list_object([render(item) for item in chosen], url, has_more)
