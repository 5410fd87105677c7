"""One HTTP request and its answer, apart from any transport, and a JSON answer
as QuickBooks writes one (with an ``intuit_tid``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from plugins.quickbooks.simulator.wire import dumps


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-case names."""
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    """Close the connection instead of answering (a lost answer)."""


def json_response(status: int, payload: Any) -> Response:
    return Response(status, dumps(payload).encode(),
                    {"Content-Type": "application/json;charset=UTF-8",
                     "intuit_tid": secrets.token_hex(16)})
