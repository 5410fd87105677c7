"""What every shape shares: the account the simulator answers as, how many lines
a document shows, the list envelope and the empty address."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plugins.stripe.simulator import records as r

JSON = dict[str, Any]

API_VERSION = "2026-10-28.endive"
"""The version events are rendered in (the ``stripe`` SDK 16.1's own)."""
ACCOUNT_ID = "acct_1SimulatorBillingHub"
ACCOUNT_NAME = "billing-hub simulator"
LINES_SHOWN = 10
"""An invoice or credit note shows its first 10 lines; the rest page through ``/lines``."""

EMPTY_ADDRESS: Mapping[str, str | None] = {
    "city": None, "country": None, "line1": None, "line2": None, "postal_code": None,
    "state": None,
}


def list_object(data: Sequence[JSON], url: str, has_more: bool) -> JSON:
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def address(value: r.Address | None) -> JSON | None:
    return None if value is None else {**EMPTY_ADDRESS, **value}
