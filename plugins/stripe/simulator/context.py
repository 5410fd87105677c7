"""What an operation knows about the call that asked for it, and how it announces changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator import shapes
from plugins.stripe.simulator.store import Store


@dataclass
class Ctx:
    """One API call (or one seeding step): the store, and who asked."""

    store: Store
    request_id: str | None = None
    idempotency_key: str | None = None

    def now(self) -> int:
        return self.store.now()

    def new_id(self, prefix: str, length: int = 24) -> str:
        return self.store.new_id(prefix, length)

    def emit(self, type: str, record: Any, previous: Any | None = None) -> r.Event | None:
        """Record the event ``type`` about ``record`` (the object as it is now).

        ``previous`` is the object before the change: ``*.updated`` events
        carry the fields that changed, with their old values, as
        ``data.previous_attributes``.
        """
        store = self.store
        if not store.emit_events:
            return None
        changed = None
        if previous is not None and type.endswith(".updated"):
            changed = changed_fields(shapes.render(previous, as_deleted=False),
                                     shapes.render(record, as_deleted=False))
        with store.lock:
            event = r.Event(
                id=store.new_id("evt_"),
                created=store.now(),
                type=type,
                object=record,
                previous_attributes=changed,
                request_id=self.request_id,
                idempotency_key=self.idempotency_key,
                pending_webhooks=sum(listener.endpoints_for(type)
                                     for listener in store.event_listeners),
            )
            store.add(store.events, event)
            for listener in store.event_listeners:
                listener.notify(event)
        return event


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The old values of what changed, nested hashes narrowed to their changed keys
    (a key that did not exist before shows as null)."""
    out: dict[str, Any] = {}
    for key, before in old.items():
        after = new.get(key)
        if before == after:
            continue
        if (isinstance(before, dict) and isinstance(after, dict)
                and before.get("object") != "list"):
            out[key] = changed_fields(before, after)
        else:
            out[key] = before
    for key in new.keys() - old.keys():
        out[key] = None
    return out
