"""QuickBooks Online objects (JSON, amounts as Decimal) as canonical records.

What QuickBooks calls things, and what the hub calls them:

- ``Customer``: ``DisplayName`` is the name; email, phone, currency and terms
  come from their ``...Ref`` / ``...Addr`` objects.
- ``Invoice``: ``SalesItemLineDetail`` lines are the lines; a
  ``DiscountLineDetail`` line is a line taking its amount off; the
  ``SubTotalLineDetail`` line only repeats a sum and is left out; lines inside a
  ``GroupLineDetail`` count one by one. ``TxnTaxDetail.TotalTax`` is the tax,
  ``TotalAmt`` the total, ``Balance`` what is still owed; the status follows
  from the balance. QuickBooks keeps a voided invoice with its amounts at zero
  and "Voided" in its private note: that one is ``void``.
- ``Payment``: ``TotalAmt`` is the money received; each line's ``LinkedTxn``
  of type ``Invoice`` is an application. A line linking a ``CreditMemo`` uses a
  credit, not money: the credit is taken off the invoice applications (in
  order) and noted in the metadata. A payment of zero (credits applied and no
  money, or a voided payment) is not a payment: the mapper returns None and the
  connector reports the id as gone, so a payment stored before it was voided
  is marked deleted rather than kept with its old amount.
- ``CreditMemo``: a credit note; ``RemainingCredit`` is kept in the metadata.

Amounts are written at their currency's precision (QuickBooks writes 150.0,
150 or 150.00 for the same amount; the stored record, and so its hash, does not
change with the spelling); one with more digits than the currency has is kept
as sent and refused by the model's precision check. Quantities lose trailing
zeros; a unit price finer than the currency keeps its own digits.

Everything else QuickBooks sends (addresses, ``domain``, ``sparse``, tax
lines) stays in the raw payload only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub import CanonicalRecord, CreditNote, Customer, Invoice, Payment, fits_currency, quantize

Obj = Mapping[str, Any]
ZERO = Decimal(0)


class MappingError(ValueError):
    """An object QuickBooks sent that cannot be read as a record; says which field."""


def money(value: Any, field: str) -> Decimal:
    """An amount as QuickBooks sends it (a JSON number, read as Decimal), or 0 when absent."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, bool | float):
        raise MappingError(f"{field}: expected an exact amount, got {value!r}")
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise MappingError(f"{field}: not an amount: {value!r}") from None


def amount(value: Any, field: str, currency: str) -> Decimal:
    """:func:`money` at ``currency``'s precision when it is exact there, else as sent."""
    found = money(value, field)
    return quantize(found, currency) if fits_currency(found, currency) else found


def plain(value: Decimal) -> Decimal:
    """A quantity without trailing zeros (5.0 -> 5, 0.1250 -> 0.125), never in exponent form."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def unit_price(value: Any, field: str, currency: str) -> Decimal:
    """A unit price at the currency's precision, or with its own finer digits (0.125 USD)."""
    found = money(value, field)
    return quantize(found, currency) if fits_currency(found, currency) else plain(found)


def ref_value(ref: Any) -> str | None:
    """The id of a ``{"value": ..., "name": ...}`` reference."""
    if isinstance(ref, Mapping) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def ref_name(ref: Any) -> str | None:
    """The name of a reference."""
    if isinstance(ref, Mapping) and ref.get("name"):
        return str(ref["name"])
    return None


def modified(obj: Obj) -> datetime | None:
    """``MetaData.LastUpdatedTime`` (ISO 8601 with the company's offset)."""
    text = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        raise MappingError(f"MetaData.LastUpdatedTime: not a time: {text!r}") from None


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value not in (None, "") else None


def _base(obj: Obj, source: str) -> dict[str, Any]:
    if not obj.get("Id"):
        raise MappingError("Id: missing")
    return {"source": source, "external_id": str(obj["Id"]), "source_modified": modified(obj),
            "raw": dict(obj)}


def _currency(obj: Obj, home: str) -> str:
    return ref_value(obj.get("CurrencyRef")) or home


def _sales_lines(lines: Any, currency: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines or []):
        kind = line.get("DetailType")
        value = amount(line.get("Amount"), f"Line[{i}].Amount", currency)
        if kind == "SalesItemLineDetail":
            detail = line.get("SalesItemLineDetail") or {}
            qty, price = detail.get("Qty"), detail.get("UnitPrice")
            out.append({
                "description": _text(line.get("Description")) or "",
                "quantity": None if qty is None else plain(money(qty, f"Line[{i}].Qty")),
                "unit_price": None if price is None else unit_price(
                    price, f"Line[{i}].UnitPrice", currency),
                "amount": value, "item": ref_name(detail.get("ItemRef")),
            })
        elif kind == "DiscountLineDetail":
            out.append({"description": _text(line.get("Description")) or "Discount",
                        "amount": -value})
        elif kind == "GroupLineDetail":
            out.extend(_sales_lines((line.get("GroupLineDetail") or {}).get("Line"), currency))
    return out


def _voided(obj: Obj) -> bool:
    note = str(obj.get("PrivateNote") or "")
    return note.startswith("Voided") and money(obj.get("TotalAmt"), "TotalAmt") == 0


def customer(obj: Obj, source: str, home: str) -> Customer:
    name = _text(obj.get("DisplayName")) or _text(obj.get("CompanyName")) or _text(
        " ".join(str(obj.get(k) or "") for k in ("GivenName", "FamilyName")))
    values = _base(obj, source)
    values.update(
        name=name or "", email=_text((obj.get("PrimaryEmailAddr") or {}).get("Address")),
        phone=_text((obj.get("PrimaryPhone") or {}).get("FreeFormNumber")),
        currency=ref_value(obj.get("CurrencyRef")), terms=ref_name(obj.get("SalesTermRef")),
        metadata={k: v for k, v in (("company_name", _text(obj.get("CompanyName"))),
                                    ("active", _text(obj.get("Active")))) if v},
    )
    return Customer.model_validate(values)


def invoice(obj: Obj, source: str, home: str) -> Invoice:
    values = _base(obj, source)
    cur = _currency(obj, home)
    total = amount(obj.get("TotalAmt"), "TotalAmt", cur)
    balance = amount(obj.get("Balance"), "Balance", cur)
    tax = amount((obj.get("TxnTaxDetail") or {}).get("TotalTax"), "TxnTaxDetail.TotalTax", cur)
    if _voided(obj):
        status, lines, tax, balance = "void", [], ZERO, ZERO
    else:
        lines = _sales_lines(obj.get("Line"), cur)
        status = ("paid" if balance == 0 and total > 0 else
                  "partially_paid" if 0 < balance < total else "open")
    customer_ref = obj.get("CustomerRef")
    values.update(
        number=_text(obj.get("DocNumber")) or str(obj.get("Id")),
        customer_ref=ref_value(customer_ref), customer_name=ref_name(customer_ref),
        issue_date=obj.get("TxnDate"), due_date=obj.get("DueDate") or None,
        terms=ref_name(obj.get("SalesTermRef")), currency=cur, lines=lines,
        tax=tax, total=total, amount_paid=max(total - balance, ZERO), balance=balance,
        status=status,
        memo=_text((obj.get("CustomerMemo") or {}).get("value")) or _text(obj.get("PrivateNote")),
        metadata={k: v for k, v in (
            ("email_status", _text(obj.get("EmailStatus"))),
            ("bill_email", _text((obj.get("BillEmail") or {}).get("Address"))),
            ("exchange_rate", _text(obj.get("ExchangeRate")))) if v},
    )
    return Invoice.model_validate(values)


def payment(obj: Obj, source: str, home: str) -> Payment | None:
    cur = _currency(obj, home)
    total = amount(obj.get("TotalAmt"), "TotalAmt", cur)
    if total == 0:
        return None
    applied: list[dict[str, Any]] = []
    credit = ZERO
    for i, line in enumerate(obj.get("Line") or []):
        line_amount = amount(line.get("Amount"), f"Line[{i}].Amount", cur)
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "Invoice":
                applied.append({"invoice_ref": str(link.get("TxnId")), "amount": line_amount})
            elif link.get("TxnType") == "CreditMemo":
                credit += line_amount
    left = credit
    for app in applied:  # credits used pay part of the invoices; the rest is money
        used = min(left, app["amount"])
        app["amount"] -= used
        left -= used
    customer_ref = obj.get("CustomerRef")
    values = _base(obj, source)
    values.update(
        amount=total, currency=cur, received_date=obj.get("TxnDate"),
        method=ref_name(obj.get("PaymentMethodRef")), reference=_text(obj.get("PaymentRefNum")),
        memo=_text(obj.get("PrivateNote")), payer_name=ref_name(customer_ref),
        customer_ref=ref_value(customer_ref),
        applications=[a for a in applied if a["amount"] > 0],
        unapplied=amount(obj.get("UnappliedAmt"), "UnappliedAmt", cur)
        if "UnappliedAmt" in obj else None,
        metadata={"credit_applied": str(credit)} if credit else {},
    )
    return Payment.model_validate(values)


def credit_note(obj: Obj, source: str, home: str) -> CreditNote:
    values = _base(obj, source)
    cur = _currency(obj, home)
    values.update(
        number=_text(obj.get("DocNumber")) or str(obj.get("Id")),
        customer_ref=ref_value(obj.get("CustomerRef")), issue_date=obj.get("TxnDate"),
        currency=cur, total=amount(obj.get("TotalAmt"), "TotalAmt", cur),
        tax=amount((obj.get("TxnTaxDetail") or {}).get("TotalTax"), "TxnTaxDetail.TotalTax", cur),
        lines=_sales_lines(obj.get("Line"), cur), status="void" if _voided(obj) else "issued",
        memo=_text((obj.get("CustomerMemo") or {}).get("value")) or _text(obj.get("PrivateNote")),
        metadata={"remaining_credit": str(amount(obj.get("RemainingCredit"), "RemainingCredit",
                                                 cur))}
        if "RemainingCredit" in obj else {},
    )
    return CreditNote.model_validate(values)


MAPPERS: dict[str, Callable[[Obj, str, str], CanonicalRecord | None]] = {
    "customer": customer, "invoice": invoice, "payment": payment, "credit_note": credit_note,
}
"""Canonical entity -> its mapper (object, source, home currency) -> record, or None
for an object that holds no record (a payment of zero)."""
