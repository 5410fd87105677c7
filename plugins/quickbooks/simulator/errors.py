"""QuickBooks faults: the error answers, as the API shapes them.

    {"Fault": {"Error": [{"Message": ..., "Detail": ..., "code": "6240",
               "element": ...}], "type": "ValidationFault"}, "time": ...}

Each helper names the code QuickBooks uses for that case (docs: error codes).
python-quickbooks turns codes 1..499 into ``AuthorizationException``,
2000..4999 into ``ValidationException``, 610 into ``ObjectNotFoundException``,
600..1999 into ``GeneralException``, 10000+ into ``SevereException`` and
anything else (5010 stale object, 6000 business validation) into the base
``QuickbooksException``; any HTTP 401 is an ``AuthorizationException``.
"""

from __future__ import annotations

from typing import Any


class QboFault(Exception):
    """One error answer: HTTP status, fault type and the error's fields."""

    def __init__(self, status: int, fault_type: str, code: str, message: str,
                 detail: str = "", element: str = "") -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.status = status
        self.fault_type = fault_type
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element

    def fault(self) -> dict[str, Any]:
        error: dict[str, Any] = {"Message": self.message, "Detail": self.detail,
                                 "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}

    def body(self, time: str) -> dict[str, Any]:
        return {"Fault": self.fault(), "time": time}


def validation(code: str, message: str, detail: str, element: str = "") -> QboFault:
    return QboFault(400, "ValidationFault", code, message, detail, element)


def business(detail: str, element: str = "") -> QboFault:
    return validation("6000", "A business validation error has occurred while processing "
                      "your request", f"Business Validation Error: {detail}", element)


def required(element: str, detail: str = "") -> QboFault:
    return validation("2020", "Required param missing, need to supply the required value for "
                      "the API", detail or f"Required parameter {element} is missing in the "
                      "request", element)


def invalid_reference(element: str, value: str) -> QboFault:
    return validation("2500", "Invalid Reference Id",
                      f"Invalid Reference Id : {element} {value!r} does not exist", element)


def not_found(entity: str, object_id: str) -> QboFault:
    return validation("610", "Object Not Found",
                      f"Object Not Found : Something you're trying to use has been made "
                      f"inactive. Check the fields with accounts, customers, items, vendors "
                      f"or employees. ({entity} {object_id})", "")


def stale(entity: str, object_id: str, given: str, current: int) -> QboFault:
    return validation("5010", "Stale Object Error",
                      f"Stale Object Error : You and another user were working on the same "
                      f"thing. {entity} {object_id} has SyncToken {current}; the request "
                      f"sent {given}.", "SyncToken")


def query_parser(detail: str) -> QboFault:
    return validation("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation(detail: str) -> QboFault:
    return validation("4001", "Invalid query", f"QueryValidationError: {detail}")


def invalid_request(detail: str, element: str = "") -> QboFault:
    return validation("2010", "Request has invalid or unsupported property", detail, element)


def unsupported(detail: str) -> QboFault:
    return validation("500", "Unsupported Operation", detail)


def authentication(detail: str) -> QboFault:
    return QboFault(401, "AuthenticationFault", "3200",
                    "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail)


def forbidden(detail: str) -> QboFault:
    return QboFault(403, "AuthorizationFault", "003100",
                    "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                    detail)


def throttled(detail: str = "The request limit was reached.") -> QboFault:
    return QboFault(429, "ThrottleExceeded", "3001",
                    "message=ThrottleExceeded; errorCode=003001; statusCode=429", detail)


def system_fault(detail: str = "An internal error occurred.") -> QboFault:
    return QboFault(500, "SystemFault", "10000",
                    "An application error has occurred while processing your request", detail)


def throttle_xml(time: str) -> str:
    """The 429 as QuickBooks sometimes writes it, in XML whatever was asked for."""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time}">'
            '<Fault type="ThrottleExceeded"><Error code="3001">'
            '<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>'
            '<Detail>The request limit was reached.</Detail></Error></Fault>'
            '</IntuitResponse>')
