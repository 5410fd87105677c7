"""The last touches that make one entity's fields from a row's values, and pydantic's
errors as a sentence a coordinator reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from hub import InvoiceStatus


class RowError(ValueError):
    """A row that cannot become a record; the message is for a coordinator."""


def invoice_fields(values: dict[str, Any]) -> None:
    total, balance = values.get("total"), values.get("balance")
    if balance is not None and total is not None and "amount_paid" not in values:
        values["amount_paid"] = total - balance
    if "status" not in values and total is not None and balance is not None:
        if balance == 0 and total > 0:
            values["status"] = InvoiceStatus.PAID.value
        elif 0 < balance < total:
            values["status"] = InvoiceStatus.PARTIALLY_PAID.value
    elif values.get("status") == InvoiceStatus.OPEN.value and balance is not None and (
        total is not None and 0 < balance < total
    ):
        values["status"] = InvoiceStatus.PARTIALLY_PAID.value


def payment_fields(values: dict[str, Any]) -> None:
    ref = values.pop("invoice_ref", None)
    number = values.pop("invoice_number", None)
    applied = values.pop("applied_amount", None)
    if ref or number:
        amount = applied if applied is not None else values.get("amount")
        values["applications"] = [{"invoice_ref": ref, "invoice_number": number,
                                   "amount": amount}]


def bank_fields(values: dict[str, Any], debit: Decimal | None, credit: Decimal | None) -> None:
    if "amount" in values:
        return
    if debit is None and credit is None:
        raise RowError("neither the debit nor the credit column has an amount")
    values["amount"] = abs(credit or Decimal(0)) - abs(debit or Decimal(0))


def readable(exc: ValidationError) -> str:
    """A pydantic error as one line per problem, naming the field and the value."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p != "__root__")
        msg = str(err["msg"]).removeprefix("Value error, ")
        value = err.get("input")
        shown = ""
        if loc and isinstance(value, str | int | Decimal | date):
            shown = f" (got {value!r})" if isinstance(value, str) else f" (got {value})"
        parts.append(f"{loc}: {msg}{shown}" if loc else msg)
    return "; ".join(parts)
