"""Knobs over HTTP, for a simulator running in another process (``python -m``).

Off unless the simulator is made with ``control=True``. Paths under
``/_simulator/`` are not Stripe's and are never counted:

- ``GET /_simulator/requests``: requests per endpoint and the total;
- ``POST /_simulator/requests/reset``;
- ``POST /_simulator/faults`` with a JSON body of :class:`Faults` fields;
- ``POST /_simulator/rate_limit`` with a JSON body of :class:`RateLimit` fields
  (``{}`` switches it off);
- ``POST /_simulator/payouts``: pay out what is available, settle what arrived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from plugins.stripe.simulator.faults import Faults
from plugins.stripe.simulator.ratelimit import RateLimit

if TYPE_CHECKING:
    from plugins.stripe.simulator.app import Request, Response, Simulator

PREFIX = "/_simulator/"


def handle(sim: Simulator, request: Request) -> Response:
    from plugins.stripe.simulator.app import Response

    def answer(status: int, body: Any) -> Response:
        return Response(status, orjson.dumps(body), {"Content-Type": "application/json"})

    route = (request.method, request.path[len(PREFIX):])
    try:
        body = orjson.loads(request.body) if request.body else {}
        if not isinstance(body, dict):
            raise TypeError("the body must be a JSON object")
        if route == ("GET", "requests"):
            return answer(200, {"counts": sim.request_counts, "total": sim.request_total})
        if route == ("POST", "requests/reset"):
            sim.reset_request_counts()
            return answer(200, {"counts": {}, "total": 0})
        if route == ("POST", "faults"):
            if "methods" in body:
                body["methods"] = frozenset(body["methods"])
            sim.faults = Faults(**body)
            return answer(200, {"faults": str(sim.faults)})
        if route == ("POST", "rate_limit"):
            sim.rate_limit = RateLimit(**body)
            return answer(200, {"rate_limit": str(sim.rate_limit)})
        if route == ("POST", "payouts"):
            settled = sim.settle_payouts()
            made = sim.pay_out()
            return answer(200, {"created": [p.id for p in made],
                                "paid": [p.id for p in settled]})
    except (TypeError, ValueError) as exc:
        return answer(400, {"error": {"type": "invalid_request_error", "message": str(exc)}})
    return answer(404, {"error": {"type": "invalid_request_error",
                                  "message": f"no simulator control {request.method} "
                                             f"{request.path}"}})
