"""How the checks look at records: their ids, a few of them in a message, their content."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.models import CanonicalRecord


def ids(records: Iterable[CanonicalRecord]) -> list[str]:
    """The records' external ids, in order, repeats kept."""
    return [r.external_id for r in records]


def show(external_ids: Iterable[str], limit: int = 5) -> str:
    """A few ids for a message: ``'a', 'b' and 3 more``."""
    items = sorted(external_ids)
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def dump(record: CanonicalRecord) -> dict[str, Any]:
    """The record as JSON-ready data, to compare two versions of it."""
    return record.model_dump(mode="json")
