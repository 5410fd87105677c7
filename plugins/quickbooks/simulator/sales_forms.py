"""Invoices and credit memos (sales forms) as a write makes them.

Totals come from the lines: sales lines (``Amount``, or ``Qty`` x
``UnitPrice``; 6070 when both are given and disagree), discount lines (an
amount or a percentage of the subtotal), a computed ``SubTotalLineDetail``
line, plus ``TxnTaxDetail.TotalTax``. An invoice's ``Balance`` and a credit
memo's ``RemainingCredit`` keep what payments already apply (a new total
cannot go below it); a document without a ``DocNumber`` gets the next free one.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from plugins.quickbooks.simulator import errors
from plugins.quickbooks.simulator.transactions import (
    currency_and_rate,
    currency_ref,
    customer_ref,
    date_text,
)
from plugins.quickbooks.simulator.wire import ZERO, money, to_decimal

if TYPE_CHECKING:
    from plugins.quickbooks.simulator.company import Company


def build_sales_form(company: Company, entity: str, values: dict[str, Any],
                     previous: dict[str, Any] | None) -> dict[str, Any]:
    customer = customer_ref(company, values)
    currency, rate = currency_and_rate(company, values, customer)
    lines: list[dict[str, Any]] = []
    subtotal = ZERO
    discount = ZERO
    raw_lines = values.get("Line") or []
    if not isinstance(raw_lines, list):
        raise errors.invalid_request("Line must be a list", "Line")
    sales = [x for x in raw_lines if isinstance(x, dict)
             and x.get("DetailType") not in ("SubTotalLineDetail", "DiscountLineDetail")]
    if not sales:
        raise errors.required("Line", "Required parameter Line is missing in the request: "
                              f"an {entity} needs at least one line")
    for number, raw in enumerate(sales, start=1):
        line = _sales_line(company, raw, number)
        subtotal += line["Amount"]
        lines.append(line)
    for raw in raw_lines:
        if isinstance(raw, dict) and raw.get("DetailType") == "DiscountLineDetail":
            detail = raw.get("DiscountLineDetail") or {}
            percent = to_decimal(detail.get("DiscountPercent"))
            if detail.get("PercentBased") and percent:
                amount = money(subtotal * percent / 100)
                out_detail = {"PercentBased": True, "DiscountPercent": percent}
            else:
                amount = money(to_decimal(raw.get("Amount")) or ZERO)
                out_detail = {"PercentBased": False}
            if "DiscountAccountRef" in detail:
                out_detail["DiscountAccountRef"] = detail["DiscountAccountRef"]
            discount += amount
            lines.append({"Amount": amount, "DetailType": "DiscountLineDetail",
                          "DiscountLineDetail": out_detail})
    lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail",
                  "SubTotalLineDetail": {}})
    tax_detail = values.get("TxnTaxDetail") or {}
    tax = money(to_decimal(tax_detail.get("TotalTax")) or ZERO)
    total = subtotal - discount + tax
    if total < 0:
        raise errors.business(f"the {entity} total would be negative ({total})",
                              "TotalAmt")
    txn_date = date_text(values.get("TxnDate"), "TxnDate") or company.clock.today()
    obj: dict[str, Any] = {}
    if entity == "Invoice":
        obj["AllowIPNPayment"] = False
        obj["AllowOnlinePayment"] = False
        obj["AllowOnlineCreditCardPayment"] = False
        obj["AllowOnlineACHPayment"] = False
    obj["domain"] = "QBO"
    obj["sparse"] = False
    obj["CustomField"] = []
    obj["DocNumber"] = str(values.get("DocNumber") or _doc_number(company))
    obj["TxnDate"] = txn_date
    obj["CurrencyRef"] = currency_ref(currency)
    if currency != company.home_currency:
        obj["ExchangeRate"] = rate
    if values.get("PrivateNote"):
        obj["PrivateNote"] = values["PrivateNote"]
    obj["LinkedTxn"] = copy.deepcopy(previous.get("LinkedTxn", [])) if previous else []
    obj["Line"] = lines
    obj["TxnTaxDetail"] = {"TotalTax": tax}
    if isinstance(tax_detail.get("TxnTaxCodeRef"), dict):
        obj["TxnTaxDetail"]["TxnTaxCodeRef"] = tax_detail["TxnTaxCodeRef"]
    obj["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    if values.get("CustomerMemo"):
        obj["CustomerMemo"] = values["CustomerMemo"]
    bill_addr = values.get("BillAddr") or customer.get("BillAddr")
    if bill_addr:
        obj["BillAddr"] = copy.deepcopy(bill_addr)
    ship_addr = values.get("ShipAddr") or customer.get("ShipAddr")
    if ship_addr:
        obj["ShipAddr"] = copy.deepcopy(ship_addr)
    obj["FreeFormAddress"] = False
    if entity == "Invoice":
        due = (date_text(values.get("DueDate"), "DueDate")
               or (date.fromisoformat(txn_date) + timedelta(days=30)).isoformat())
        obj["DueDate"] = due
    obj["TotalAmt"] = total
    if currency != company.home_currency:
        obj["HomeTotalAmt"] = money(total * rate)
    obj["ApplyTaxAfterDiscount"] = False
    obj["PrintStatus"] = values.get("PrintStatus") or "NeedToPrint"
    obj["EmailStatus"] = values.get("EmailStatus") or "NotSet"
    email = values.get("BillEmail") or customer.get("PrimaryEmailAddr")
    if isinstance(email, dict) and email.get("Address"):
        obj["BillEmail"] = {"Address": email["Address"]}
    if entity == "Invoice":
        applied = (previous["TotalAmt"] - previous["Balance"]) if previous else ZERO
        if total < applied:
            raise errors.business(f"the invoice total {total} would be less than the "
                                  f"payments applied to it ({applied})", "TotalAmt")
        obj["Balance"] = total - applied
        if currency != company.home_currency:
            obj["HomeBalance"] = money(obj["Balance"] * rate)
        obj["Deposit"] = ZERO
    else:
        used = (previous["TotalAmt"] - previous["RemainingCredit"]) if previous else ZERO
        if total < used:
            raise errors.business(f"the credit memo total {total} would be less than the "
                                  f"credit already used ({used})", "TotalAmt")
        obj["RemainingCredit"] = total - used
        obj["Balance"] = ZERO
    return obj


def _sales_line(company: Company, raw: dict[str, Any], number: int) -> dict[str, Any]:
    kind = raw.get("DetailType") or "SalesItemLineDetail"
    if kind == "DescriptionOnly":
        return {"Id": str(number), "LineNum": number,
                "Description": raw.get("Description", ""), "Amount": ZERO,
                "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}
    if kind != "SalesItemLineDetail":
        raise errors.invalid_request(f"Line {number}: DetailType {kind} is not supported "
                                     "by the simulator", "Line.DetailType")
    detail = raw.get("SalesItemLineDetail") or {}
    item_ref: dict[str, Any] = (detail["ItemRef"] if isinstance(detail.get("ItemRef"), dict)
                                else {})
    item_id = str(item_ref.get("value") or "1")
    item = company.objects["Item"].get(item_id)
    if item is None:
        raise errors.invalid_reference("Line.SalesItemLineDetail.ItemRef", item_id)
    qty = to_decimal(detail.get("Qty")) or ZERO
    price = to_decimal(detail.get("UnitPrice")) or ZERO
    amount = to_decimal(raw.get("Amount")) or ZERO
    if amount == 0 and qty and price:
        amount = money(qty * price)
    elif qty and price and money(qty * price) != money(amount):
        raise errors.validation("6070", "Amount calculation incorrect in the request",
                                f"Amount is not equal to UnitPrice * Qty. Supplied value:"
                                f"{amount}", "Line.Amount")
    if amount < 0:
        raise errors.business(f"line {number} has a negative amount", "Line.Amount")
    out_detail: dict[str, Any] = {"ItemRef": {"value": item["Id"], "name": item["Name"]}}
    if price:
        out_detail["UnitPrice"] = price
    if qty:
        out_detail["Qty"] = int(qty) if qty == qty.to_integral_value() else qty
    if detail.get("ServiceDate"):
        out_detail["ServiceDate"] = date_text(detail["ServiceDate"], "ServiceDate")
    tax_code = detail.get("TaxCodeRef")
    out_detail["TaxCodeRef"] = ({"value": tax_code["value"]}
                                if isinstance(tax_code, dict) and tax_code.get("value")
                                else {"value": "NON"})
    line: dict[str, Any] = {"Id": str(number), "LineNum": number}
    if raw.get("Description"):
        line["Description"] = raw["Description"]
    line["Amount"] = money(amount)
    line["DetailType"] = "SalesItemLineDetail"
    line["SalesItemLineDetail"] = out_detail
    return line


def _doc_number(company: Company) -> str:
    taken = {o.get("DocNumber") for k in ("Invoice", "CreditMemo")
             for o in company.objects[k].values()}
    while str(company.next_doc_number) in taken:
        company.next_doc_number += 1
    number = str(company.next_doc_number)
    company.next_doc_number += 1
    return number
