"""Create, update, SyncToken, requestid, delete and void through python-quickbooks."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine

from plugins.quickbooks.simulator import QboFault, QboSimulator


def _new_invoice(customer_id: str, amount: str = "150.00") -> Invoice:
    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    line.SalesItemLineDetail = SalesItemLineDetail()
    ref = Ref()
    ref.value = "1"
    line.SalesItemLineDetail.ItemRef = ref
    invoice.Line.append(line)
    customer = Ref()
    customer.value = customer_id
    invoice.CustomerRef = customer
    return invoice


def test_create_ignores_empty_strings_and_read_only_fields(qb: Any, sim: QboSimulator) -> None:
    saved = _new_invoice("1").save(qb=qb)  # sends DueDate "", TotalAmt "", Balance 0 ...
    served = sim.get("Invoice", saved.Id)
    assert served["TotalAmt"] == Decimal("150.00") == served["Balance"]
    assert served["DueDate"] and served["TxnDate"] == "2026-11-20"
    assert served["SyncToken"] == "0"
    assert served["Line"][-1] == {"Amount": Decimal("150.00"),
                                  "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}


def test_the_same_requestid_twice_makes_one_object(qb: Any, sim: QboSimulator) -> None:
    before = len(sim.all("Invoice"))
    first = _new_invoice("1").save(qb=qb, request_id="push-42-invoice")
    second = _new_invoice("1").save(qb=qb, request_id="push-42-invoice")
    assert first.Id == second.Id
    assert len(sim.all("Invoice")) == before + 1
    third = _new_invoice("1").save(qb=qb, request_id="push-43-invoice")
    assert third.Id != first.Id
    with pytest.raises(ValidationException):
        _new_invoice("1").save(qb=qb, request_id="x" * 51)


def test_stale_sync_token_is_5010(qb: Any) -> None:
    invoice = Invoice.get(10, qb=qb)
    stale = Invoice.get(10, qb=qb)
    invoice.PrivateNote = "first writer"
    updated = invoice.save(qb=qb)
    assert int(updated.SyncToken) == int(stale.SyncToken) + 1
    stale.PrivateNote = "second writer"
    with pytest.raises(QuickbooksException) as error:
        stale.save(qb=qb)
    assert error.value.error_code == 5010
    assert Invoice.get(10, qb=qb).PrivateNote == "first writer"


def test_sparse_update_changes_only_what_is_given(qb: Any, sim: QboSimulator) -> None:
    before = sim.get("Invoice", "12")
    body = {"Id": "12", "SyncToken": int(before["SyncToken"]), "sparse": True,
            "PrivateNote": "sparse"}
    qb.update_object("Invoice", json.dumps(body))
    after = sim.get("Invoice", "12")
    assert after["PrivateNote"] == "sparse"
    assert after["Line"] == before["Line"] and after["TotalAmt"] == before["TotalAmt"]
    assert after["MetaData"]["CreateTime"] == before["MetaData"]["CreateTime"]


def test_payments_apply_to_invoices_and_are_checked(qb: Any, sim: QboSimulator) -> None:
    invoice = _new_invoice("1", "200.00").save(qb=qb)
    payment = Payment()
    payment.TotalAmt = Decimal("250.00")
    payment.CustomerRef = invoice.CustomerRef
    line = PaymentLine()
    line.Amount = Decimal("120.00")
    link = LinkedTxn()
    link.TxnId = invoice.Id
    link.TxnType = "Invoice"
    line.LinkedTxn.append(link)
    payment.Line.append(line)
    saved = payment.save(qb=qb)
    assert Decimal(str(saved.UnappliedAmt)) == Decimal("130.00")
    served = sim.get("Invoice", invoice.Id)
    assert served["Balance"] == Decimal("80.00")
    assert served["LinkedTxn"] == [{"TxnId": saved.Id, "TxnType": "Payment"}]
    too_much = sim.get("Payment", saved.Id)
    too_much["Line"][0]["Amount"] = Decimal("201.00")
    with pytest.raises(QboFault) as error:
        sim.update("Payment", too_much)
    assert "more than its balance of 200.00" in error.value.detail
    eur_invoice = next(i for i in sim.all("Invoice") if i["CurrencyRef"]["value"] == "EUR")
    with pytest.raises(QboFault) as mixed:
        sim.create("Payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 10, "Line": [
            {"Amount": 10, "LinkedTxn": [{"TxnId": eur_invoice["Id"], "TxnType": "Invoice"}]}]})
    assert "belongs to customer" in mixed.value.detail
    with pytest.raises(QboFault) as currency:
        sim.create("Payment", {"CustomerRef": eur_invoice["CustomerRef"], "TotalAmt": 10,
                               "CurrencyRef": {"value": "USD"}, "Line": []})
    assert "currency" in currency.value.detail


def test_delete_keeps_a_tombstone_and_void_zeroes(qb: Any, sim: QboSimulator) -> None:
    invoice = _new_invoice("2").save(qb=qb)
    answer = invoice.delete(qb=qb)
    assert answer["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": invoice.Id}
    assert sim.all("Invoice", include_deleted=True)[-1]["status"] == "Deleted"
    other = _new_invoice("2").save(qb=qb)
    voided = other.void(qb=qb)["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
    assert voided["PrivateNote"] == "Voided" and voided["SyncToken"] == "1"


def test_an_invoice_with_payments_cannot_be_deleted(qb: Any, sim: QboSimulator) -> None:
    paid = next(i for i in sim.all("Invoice") if i["LinkedTxn"])
    with pytest.raises(QuickbooksException) as error:
        Invoice.get(int(paid["Id"]), qb=qb).delete(qb=qb)
    assert error.value.error_code == 6000
    assert sim.get("Invoice", paid["Id"])["Id"] == paid["Id"]


def test_qty_times_price_must_match_amount(sim: QboSimulator) -> None:
    with pytest.raises(QboFault) as error:
        sim.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": 100,
             "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 3, "UnitPrice": 30}}]})
    assert error.value.code == "6070"


def test_voiding_a_payment_gives_the_invoices_their_balance_back(qb: Any,
                                                                 sim: QboSimulator) -> None:
    payment = next(p for p in sim.all("Payment") if len(p["Line"]) > 1)
    paid = [line["LinkedTxn"][0]["TxnId"] for line in payment["Line"]]
    voided = Payment.get(int(payment["Id"]), qb=qb).void(qb=qb)["Payment"]  # update&include=void
    assert voided["TotalAmt"] == 0 and voided["Line"] == []
    for invoice_id in paid:
        invoice = sim.get("Invoice", invoice_id)
        others = [(p["Id"], line["Amount"]) for p in sim.all("Payment") for line in p["Line"]
                  if line["LinkedTxn"][0] == {"TxnId": invoice_id, "TxnType": "Invoice"}]
        assert invoice["Balance"] == invoice["TotalAmt"] - sum(a for _, a in others)
        assert invoice["LinkedTxn"] == [{"TxnId": p, "TxnType": "Payment"} for p, _ in others]
        assert payment["Id"] not in {p for p, _ in others}
    assert any(sim.get("Invoice", i)["Balance"] == sim.get("Invoice", i)["TotalAmt"]
               for i in paid)
    assert sim.count_requests("POST", r"/payment$", 200) == 1
    assert "operation=update" in sim.requests[-1].query
    assert "include=void" in sim.requests[-1].query


def test_times_carry_the_company_offset(sim: QboSimulator) -> None:
    created = sim.create("Item", {"Name": "Offset check"})
    assert created["MetaData"]["CreateTime"] == "2026-11-20T10:15:00-08:00"


def test_customer_balance_follows_a_voided_or_deleted_invoice(sim: QboSimulator) -> None:
    customer = sim.create("Customer", {"DisplayName": "Balance Watcher"})

    def invoice(amount: int) -> dict[str, Any]:
        return sim.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": amount,
             "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]})

    voided, deleted = invoice(100), invoice(40)
    assert sim.get("Customer", customer["Id"])["Balance"] == Decimal("140.00")
    sim.void("Invoice", voided["Id"])
    assert sim.get("Customer", customer["Id"])["Balance"] == Decimal("40.00")
    sim.delete("Invoice", deleted["Id"])
    after = sim.get("Customer", customer["Id"])
    assert after["Balance"] == after["BalanceWithJobs"] == 0
