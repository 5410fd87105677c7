"""The accounting API's routes, once a request is through the simulator's gate
(token, company, throttle, ``requestid``): ``query``, ``cdc``, ``batch``, one
entity's read (``GET .../{entity}/{id}``) and write (``POST .../{entity}``,
with ``?operation=``), an invoice's send (``POST .../invoice/{id}/send``),
``companyinfo``; and how a name in a request or a query becomes an entity.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from plugins.quickbooks.simulator import errors, query, sending
from plugins.quickbooks.simulator.clock import parse_time
from plugins.quickbooks.simulator.company import ENTITIES, NAME_LISTS, Company
from plugins.quickbooks.simulator.errors import QboFault
from plugins.quickbooks.simulator.messages import Request, Response, json_response
from plugins.quickbooks.simulator.wire import loads

if TYPE_CHECKING:
    from plugins.quickbooks.simulator.app import QboSimulator

CDC_LOOKBACK = timedelta(days=30)
CDC_MAX_PER_ENTITY = 1000


def handle(sim: QboSimulator, request: Request, params: dict[str, str], realm: str,
           rest: str) -> Response:
    """The answer to an accounting request; the caller holds the simulator's lock."""
    parts = [p for p in rest.split("/") if p]
    head = parts[0].lower()
    company = sim.companies[realm]
    if head == "query" and len(parts) == 1:
        statement = (params.get("query") if request.method == "GET"
                     else request.body.decode("utf-8", errors="replace"))
        answer = run_query(statement or "", lambda e: company.all(e))
        return json_response(200, {"QueryResponse": answer, "time": sim.time_text()})
    if head == "cdc" and len(parts) == 1 and request.method == "GET":
        return json_response(200, _cdc(sim, company, params))
    if head == "batch" and len(parts) == 1 and request.method == "POST":
        return json_response(200, _batch(sim, company, request.body))
    if head == "companyinfo" and request.method == "GET":
        return json_response(200, {"CompanyInfo": _company_info(company),
                                   "time": sim.time_text()})
    entity = resolve_entity(head, in_query=False)
    if (request.method == "POST" and len(parts) == 3 and entity == "Invoice"
            and parts[2].lower() == "send"):
        return json_response(200, {entity: sending.send(sim, company, parts[1], params),
                                   "time": sim.time_text()})
    if request.method == "GET" and len(parts) == 2:
        return json_response(200, {entity: company.get(entity, parts[1]),
                                   "time": sim.time_text()})
    if request.method == "POST" and len(parts) == 1:
        body = _json_body(request.body)
        operation = _operation(params)
        result = _write(company, entity, operation, body)
        return json_response(200, {entity: result, "time": sim.time_text()})
    raise errors.unsupported(f"{request.method} {request.path} is not supported")


def _write(company: Company, entity: str, operation: str,
           body: dict[str, Any]) -> dict[str, Any]:
    if operation == "delete":
        return company.delete(entity, body)
    if operation == "void":
        return company.void(entity, body)
    if operation in ("create", "update"):
        if body.get("Id") not in (None, "", 0, "0"):
            return company.update(entity, body)
        if operation == "update":
            raise errors.required("Id")
        return company.create(entity, body)
    raise errors.unsupported(f"operation {operation!r} is not supported")


def _cdc(sim: QboSimulator, company: Company, params: dict[str, str]) -> dict[str, Any]:
    names = [n.strip() for n in params.get("entities", "").split(",") if n.strip()]
    if not names:
        raise errors.required("entities", "Required parameter entities is missing")
    since_text = params.get("changedSince", "")
    if not since_text:
        raise errors.required("changedSince", "Required parameter changedSince is missing")
    try:
        since = parse_time(since_text, sim.clock.tz)
    except ValueError as error:
        raise errors.validation("2070", "Invalid Date",
                                f"changedSince {since_text!r} is not an ISO 8601 time",
                                "changedSince") from error
    if since < sim.clock.now() - CDC_LOOKBACK:
        raise errors.validation("2010", "Request has invalid or unsupported property",
                                f"changedSince {since_text} is more than 30 days ago: "
                                "CDC looks back at most 30 days", "changedSince")
    answers: list[dict[str, Any]] = []
    for name in names:
        entity = resolve_entity(name, in_query=False)
        found = company.changed_since(entity, since.timestamp())[:CDC_MAX_PER_ENTITY]
        if found:
            answers.append({entity: found, "startPosition": 1, "maxResults": len(found)})
        else:
            answers.append({})
    return {"CDCResponse": [{"QueryResponse": answers}], "time": sim.time_text()}


def _batch(sim: QboSimulator, company: Company, raw: bytes) -> dict[str, Any]:
    body = _json_body(raw)
    items = body.get("BatchItemRequest")
    if not isinstance(items, list) or not items:
        raise errors.required("BatchItemRequest")
    if len(items) > sim.max_batch_items:
        raise errors.validation("6000", "A business validation error has occurred while "
                                "processing your request",
                                f"Business Validation Error: the batch has {len(items)} "
                                f"items, more than the limit of {sim.max_batch_items}",
                                "BatchItemRequest")
    before = {e: [copy.deepcopy(o) for o in company.all(e)] for e in ENTITIES}
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise errors.invalid_request("every BatchItemRequest item must be an object")
        bid = str(item.get("bId", ""))
        try:
            if "Query" in item:
                answer = run_query(str(item["Query"]), lambda e: before[e])
                out.append({"bId": bid, "QueryResponse": answer})
                continue
            keys = [k for k in item if k in ENTITIES]
            if len(keys) != 1:
                raise errors.invalid_request("a batch item needs one entity or a Query")
            entity = keys[0]
            operation = str(item.get("operation") or "create").lower()
            result = _write(company, entity, operation, item[entity] or {})
            out.append({"bId": bid, entity: result})
        except QboFault as fault:
            out.append({"bId": bid, "Fault": fault.fault()})
    return {"BatchItemResponse": out, "time": sim.time_text()}


def resolve_entity(name: str, in_query: bool = True) -> str:
    for entity in ENTITIES:
        if entity.lower() == name.strip().lower():
            return entity
    if in_query:
        raise errors.query_validation(f"Invalid context declaration : {name}")
    raise errors.unsupported(f"Unsupported Operation: {name} is not supported by the "
                             f"simulator (it serves {', '.join(ENTITIES)})")


def run_query(statement: str,
              objects_of: Callable[[str], list[dict[str, Any]]]) -> dict[str, Any]:
    parsed = query.parse(statement, resolve_entity)
    objects = objects_of(parsed.entity)
    if parsed.entity in NAME_LISTS and not query.mentions(parsed, "Active"):
        objects = [o for o in objects if o.get("Active", True)]
    page, total = query.run(parsed, objects)
    if parsed.count:
        return {"totalCount": total}
    if not page:
        return {}
    return {parsed.entity: page, "startPosition": parsed.start, "maxResults": len(page)}


def _operation(params: dict[str, str]) -> str:
    operation = params.get("operation", "create").lower()
    if operation == "update" and params.get("include", "").lower() == "void":
        return "void"
    return operation


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = loads(raw or b"{}")
    except ValueError as error:
        raise errors.validation("2010", "Request has invalid or unsupported property",
                                f"the request body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise errors.validation("2010", "Request has invalid or unsupported property",
                                "the request body must be a JSON object")
    return body


def _company_info(company: Company) -> dict[str, Any]:
    return {"CompanyName": company.name, "LegalName": company.name, "Country": "US",
            "CompanyAddr": {"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo",
                            "CountrySubDivisionCode": "CA", "PostalCode": "87999"},
            "SupportedLanguages": "en", "domain": "QBO", "sparse": False,
            "Id": "1", "SyncToken": "1", "FiscalYearStartMonth": "January",
            "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
            "MetaData": {"CreateTime": company.clock.stamp(),
                         "LastUpdatedTime": company.clock.stamp()}}
