"""Events: ``/v1/events`` keeps the last 30 days.

An event's ``data.object`` is the object as it was when the event happened,
never expanded; ``*.updated`` events also carry ``data.previous_attributes``.
Filters: ``type`` (``invoice.*`` matches a family), ``types[]`` (up to 20),
``created``.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from plugins.stripe.simulator import listing, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import invalid, no_such
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]
RETENTION = 30 * 86400
MAX_TYPES = 20


def retention_floor(ctx: Ctx) -> int:
    return ctx.now() - RETENTION


def retrieve(ctx: Ctx, p: Params, event_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        event = ctx.store.events.get(event_id)
    if event is None or event.created < retention_floor(ctx):
        raise no_such("event", event_id)
    return shapes.event(event)


def list_(ctx: Ctx, p: Params) -> JSON:
    one = p.text("type")
    many = p.texts("types")
    p.skip("delivery_success")
    if one and many:
        raise invalid("You may only specify one of these parameters: type, types.", "types")
    if many is not None and len(many) > MAX_TYPES:
        raise invalid(f"You may pass at most {MAX_TYPES} types.", "types")
    patterns = [one] if one else many
    exact = {x for x in patterns or () if "*" not in x}
    wild = [x for x in patterns or () if "*" in x]

    def keep(event: r.Event) -> bool:
        if patterns is None or event.type in exact:
            return True
        return any(fnmatch.fnmatchcase(event.type, pattern) for pattern in wild)

    return listing.page(ctx.store, p, ctx.store.events, "/v1/events", keep,
                        created_floor=retention_floor(ctx))
