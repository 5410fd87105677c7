"""QuickBooks Online objects as canonical records: amounts exact, lines, status, applications."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from plugins.quickbooks import mapping

# Intuit's documented sample invoice (DocNumber 1070), read as python-quickbooks
# reads it with use_decimal: amounts become Decimal, never float.
SAMPLE = json.loads("""{
  "Id": "130", "SyncToken": "0", "domain": "QBO", "sparse": false,
  "DocNumber": "1070", "TxnDate": "2015-07-24", "DueDate": "2015-08-23",
  "CustomerRef": {"value": "1", "name": "Amy's Bird Sanctuary"},
  "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
  "Line": [
    {"Id": "1", "LineNum": 1, "Amount": 150.0, "DetailType": "SalesItemLineDetail",
     "Description": "Weekly gardening",
     "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"},
                             "Qty": 1, "UnitPrice": 150, "TaxCodeRef": {"value": "NON"}}},
    {"Amount": 150.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
  ],
  "TxnTaxDetail": {"TotalTax": 0},
  "TotalAmt": 150.0, "Balance": 150.0, "EmailStatus": "NotSet",
  "BillAddr": {"Id": "2", "Line1": "4581 Finch St.", "Lat": "INVALID", "Long": "INVALID"},
  "BillEmail": {"Address": "Birds@Intuit.com"},
  "MetaData": {"CreateTime": "2015-07-24T10:33:39-07:00",
               "LastUpdatedTime": "2015-07-24T10:33:39-07:00"}
}""", parse_float=Decimal)


def test_intuits_sample_invoice_maps_exactly() -> None:
    inv = mapping.invoice(SAMPLE, "books", "USD")
    assert (inv.external_id, inv.number, inv.customer_ref, inv.customer_name) == (
        "130", "1070", "1", "Amy's Bird Sanctuary")
    assert (inv.issue_date, inv.due_date) == (date(2015, 7, 24), date(2015, 8, 23))
    assert (inv.total, inv.balance, inv.tax, inv.amount_paid) == (
        Decimal("150.0"), Decimal("150.0"), Decimal(0), Decimal(0))
    # written at USD's precision whatever QuickBooks' spelling (150.0, 150, 150.00)
    assert inv.model_dump(mode="json")["total"] == "150.00"
    for spelling in (150, Decimal("150"), Decimal("150.00")):
        again = mapping.invoice({**SAMPLE, "TotalAmt": spelling, "Balance": spelling,
                                 "Line": [{**SAMPLE["Line"][0], "Amount": spelling}]},
                                "books", "USD")
        assert again.model_dump_json(exclude={"raw"}) == inv.model_dump_json(exclude={"raw"})
    assert inv.status.value == "open"
    [line] = inv.lines  # the subtotal line only repeats the sum
    assert (line.description, line.item, line.quantity, line.unit_price, line.amount) == (
        "Weekly gardening", "Services", Decimal(1), Decimal(150), Decimal("150.0"))
    assert inv.source_modified == datetime(2015, 7, 24, 10, 33, 39,
                                           tzinfo=timezone(timedelta(hours=-7)))
    assert inv.metadata == {"email_status": "NotSet", "bill_email": "Birds@Intuit.com"}
    assert inv.raw["BillAddr"]["Lat"] == "INVALID"  # noise stays in the raw payload only


def test_quantities_and_fine_unit_prices_keep_their_value_in_one_spelling() -> None:
    [line] = mapping.invoice(SAMPLE, "books", "USD").lines
    assert (str(line.quantity), str(line.unit_price)) == ("1", "150.00")
    fine = mapping.invoice({**SAMPLE, "Line": [{**SAMPLE["Line"][0], "SalesItemLineDetail": {
        "Qty": Decimal("1200.0"), "UnitPrice": Decimal("0.1250")}}]}, "books", "USD")
    assert (str(fine.lines[0].quantity), str(fine.lines[0].unit_price)) == ("1200", "0.125")


def _invoice(**changes: Any) -> dict[str, Any]:
    return {**SAMPLE, **changes}


def test_status_follows_the_balance_and_discounts_and_tax_add_up() -> None:
    assert mapping.invoice(_invoice(Balance=Decimal(0)), "b", "USD").status.value == "paid"
    part = mapping.invoice(_invoice(Balance=Decimal("50.00")), "b", "USD")
    assert (part.status.value, part.amount_paid) == ("partially_paid", Decimal("100.00"))
    lines = [*SAMPLE["Line"][:1],
             {"Amount": Decimal("15.00"), "DetailType": "DiscountLineDetail",
              "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}}]
    inv = mapping.invoice(_invoice(Line=lines, TxnTaxDetail={"TotalTax": Decimal("10.80")},
                                   TotalAmt=Decimal("145.80"), Balance=Decimal("145.80")),
                          "b", "USD")
    assert [ln.amount for ln in inv.lines] == [Decimal("150.0"), Decimal("-15.00")]
    assert (inv.subtotal, inv.tax, inv.total) == (
        Decimal("135.00"), Decimal("10.80"), Decimal("145.80"))


def test_a_voided_invoice_is_void_with_nothing_owed() -> None:
    inv = mapping.invoice(_invoice(TotalAmt=Decimal(0), Balance=Decimal(0),
                                   PrivateNote="Voided"), "b", "USD")
    assert (inv.status.value, inv.total, inv.balance, inv.lines) == ("void", 0, 0, [])


def test_totals_that_do_not_add_up_are_refused_with_the_numbers() -> None:
    with pytest.raises(ValidationError,
                       match=r"subtotal 150\.00 \+ tax 0\.00 = 150\.00 USD, but total is 99\.00"):
        mapping.invoice(_invoice(TotalAmt=Decimal("99.00")), "b", "USD")


def test_a_float_amount_is_refused_not_rounded() -> None:
    with pytest.raises(mapping.MappingError, match="TotalAmt: expected an exact amount"):
        mapping.invoice(_invoice(TotalAmt=150.0), "b", "USD")


def test_a_payment_applies_money_and_credits_to_invoices() -> None:
    pay = {
        "Id": "55", "TotalAmt": Decimal("120.00"), "UnappliedAmt": Decimal("20.00"),
        "TxnDate": "2026-11-02", "PaymentRefNum": "CHK 1001",
        "CustomerRef": {"value": "7", "name": "Cool Cars"},
        "CurrencyRef": {"value": "USD"}, "PaymentMethodRef": {"value": "2", "name": "Check"},
        "Line": [
            {"Amount": Decimal("100.00"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": Decimal("30.00"), "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
            {"Amount": Decimal("30.00"), "LinkedTxn": [{"TxnId": "9", "TxnType": "CreditMemo"}]},
        ],
        "MetaData": {"LastUpdatedTime": "2026-11-02T09:00:00-08:00"},
    }
    p = mapping.payment(pay, "books", "USD")
    assert p is not None
    assert (p.amount, p.reference, p.method, p.payer_name, p.customer_ref) == (
        Decimal("120.00"), "CHK 1001", "Check", "Cool Cars", "7")
    # 30.00 of credit paid part of the first invoice: money applied is 70 + 30 = 100
    assert [(a.invoice_ref, a.amount) for a in p.applications] == [
        ("130", Decimal("70.00")), ("131", Decimal("30.00"))]
    assert p.unapplied == Decimal("20.00") and p.metadata == {"credit_applied": "30.00"}


def test_a_payment_of_nothing_is_not_a_payment() -> None:
    assert mapping.payment({"Id": "5", "TotalAmt": Decimal(0), "TxnDate": "2026-11-02",
                            "PrivateNote": "Voided"}, "b", "USD") is None


def test_customer_and_credit_memo() -> None:
    cust = mapping.customer({
        "Id": "1", "DisplayName": "Amy's Bird Sanctuary", "CompanyName": "Amy's Bird Sanctuary",
        "PrimaryEmailAddr": {"Address": "Birds@Intuit.com"},
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-3311"}, "Active": True,
        "CurrencyRef": {"value": "USD"}, "SalesTermRef": {"value": "3", "name": "Net 30"},
        "BillAddr": {"Lat": "INVALID"}}, "books", "USD")
    assert (cust.name, cust.email, cust.phone, cust.currency, cust.terms) == (
        "Amy's Bird Sanctuary", "Birds@Intuit.com", "(650) 555-3311", "USD", "Net 30")
    memo = mapping.credit_note({
        "Id": "9", "DocNumber": "CM-9", "TxnDate": "2026-11-01",
        "CustomerRef": {"value": "1"}, "CurrencyRef": {"value": "EUR"},
        "TotalAmt": Decimal("30.00"), "RemainingCredit": Decimal(0),
        "Line": [{"Amount": Decimal("30.00"), "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"name": "Refund"}}}]}, "books", "USD")
    assert (memo.number, memo.currency, memo.total, memo.status) == (
        "CM-9", "EUR", Decimal("30.00"), "issued")
    assert memo.metadata == {"remaining_credit": "0.00"}
    with pytest.raises(mapping.MappingError, match="Id: missing"):
        mapping.customer({"DisplayName": "x"}, "books", "USD")
