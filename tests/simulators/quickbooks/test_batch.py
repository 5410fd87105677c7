"""Batch requests: python-quickbooks' batch helpers and mixed raw batches."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from quickbooks.batch import batch_create
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.customer import Customer

from plugins.quickbooks.simulator import QboSimulator


def test_batch_create_through_python_quickbooks(qb: Any, sim: QboSimulator) -> None:
    people = []
    for name in ("Batch One", "Batch Two", "Amy's Bird Sanctuary"):
        customer = Customer()
        customer.DisplayName = name
        people.append(customer)
    result = batch_create(people, qb=qb)
    assert sorted(c.DisplayName for c in result.successes) == ["Batch One", "Batch Two"]
    assert len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"  # the name exists already
    assert len(sim.all("Customer")) == 22
    assert sim.count_requests("POST", r"/batch$") == 1


def test_mixed_batch_items_run_in_order_without_seeing_each_other(qb: Any,
                                                                 sim: QboSimulator) -> None:
    invoice = next(i for i in sim.all("Invoice") if i["SyncToken"] != "0")  # paid: updated
    unapplied = next(p for p in sim.all("Payment") if not p["Line"])
    before = len(sim.all("Invoice"))
    body = {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Invoice": {
            "CustomerRef": {"value": "1"}, "Line": [{"DetailType": "SalesItemLineDetail",
                                                     "Amount": 75, "SalesItemLineDetail": {
                                                         "ItemRef": {"value": "2"}}}]}},
        {"bId": "2", "Query": "SELECT count(*) FROM Invoice"},
        {"bId": "3", "operation": "update", "Invoice": {
            "Id": invoice["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"}},
        {"bId": "4", "operation": "delete", "Payment": {
            "Id": unapplied["Id"], "SyncToken": unapplied["SyncToken"]}},
    ]}
    answer = qb.batch_operation(json.dumps(body))["BatchItemResponse"]
    assert [item["bId"] for item in answer] == ["1", "2", "3", "4"]
    assert answer[0]["Invoice"]["TotalAmt"] == 75.0
    assert answer[1]["QueryResponse"] == {"totalCount": before}  # not the one item 1 made
    assert answer[2]["Fault"]["Error"][0]["code"] == "5010"  # a stale SyncToken, item 3 only
    assert "PrivateNote" not in sim.get("Invoice", invoice["Id"])
    assert answer[3]["Payment"]["status"] == "Deleted"
    assert len(sim.all("Invoice")) == before + 1


def test_batch_item_cap_is_a_knob(qb: Any, sim: QboSimulator) -> None:
    sim.max_batch_items = 2
    items = [{"bId": str(i), "Query": "select * from Item"} for i in range(3)]
    with pytest.raises(QuickbooksException) as error:
        qb.batch_operation(json.dumps({"BatchItemRequest": items}))
    assert "more than the limit of 2" in error.value.detail
    sim.max_batch_items = 30
    answer = qb.batch_operation(json.dumps({"BatchItemRequest": items}))
    assert len(answer["BatchItemResponse"]) == 3
    assert Decimal(str(answer["BatchItemResponse"][0]["QueryResponse"]["Item"][1]["UnitPrice"])) \
        == Decimal(75)
