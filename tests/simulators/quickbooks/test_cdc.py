"""Change data capture through python-quickbooks' change_data_capture."""

from __future__ import annotations

from typing import Any

import pytest
from quickbooks.exceptions import ValidationException

from plugins.quickbooks.simulator import QboSimulator


def _by_entity(answer: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for part in answer["CDCResponse"][0]["QueryResponse"]:
        for key, value in part.items():
            if isinstance(value, list):
                out[key] = value
    return out


def test_cdc_returns_updates_and_deletions_since(qb: Any, sim: QboSimulator) -> None:
    since = sim.clock.stamp()
    sim.clock.advance(60)
    unpaid = next(inv for inv in sim.all("Invoice") if not inv["LinkedTxn"])
    sim.update("Invoice", {"Id": unpaid["Id"], "SyncToken": unpaid["SyncToken"],
                           "sparse": True, "PrivateNote": "changed"})
    payment = next(p for p in sim.all("Payment") if not p["Line"])  # applied to nothing
    sim.delete("Payment", payment["Id"])
    answer = qb.change_data_capture("Invoice,Payment,Customer", since)
    changed = _by_entity(answer)
    assert [inv["Id"] for inv in changed["Invoice"]] == [unpaid["Id"]]
    assert changed["Invoice"][0]["PrivateNote"] == "changed"
    assert changed["Payment"] == [{"domain": "QBO", "status": "Deleted", "Id": payment["Id"],
                                   "MetaData": {"LastUpdatedTime": sim.clock.stamp()}}]
    assert "Customer" not in changed
    # deleted objects are no longer queryable
    assert qb.query(f"select * from Payment where Id = '{payment['Id']}'")["QueryResponse"] \
        == {}


def test_cdc_sees_invoices_a_payment_changed(qb: Any, sim: QboSimulator) -> None:
    since = sim.clock.stamp()
    sim.clock.advance(5)
    unpaid = next(inv for inv in sim.all("Invoice") if not inv["LinkedTxn"]
                  and inv["CurrencyRef"]["value"] == "USD")
    sim.create("Payment", {"CustomerRef": unpaid["CustomerRef"], "TotalAmt": unpaid["Balance"],
                           "Line": [{"Amount": unpaid["Balance"], "LinkedTxn": [
                               {"TxnId": unpaid["Id"], "TxnType": "Invoice"}]}]})
    changed = _by_entity(qb.change_data_capture("Invoice", since))
    assert [inv["Id"] for inv in changed["Invoice"]] == [unpaid["Id"]]
    assert changed["Invoice"][0]["Balance"] == 0


def test_cdc_looks_back_at_most_30_days(qb: Any, sim: QboSimulator) -> None:
    from datetime import timedelta

    too_old = (sim.clock.now() - timedelta(days=31)).isoformat()
    with pytest.raises(ValidationException) as error:
        qb.change_data_capture("Invoice", too_old)
    assert "30 days" in error.value.detail
    ok = (sim.clock.now() - timedelta(days=29)).isoformat()
    assert len(_by_entity(qb.change_data_capture("Invoice", ok))["Invoice"]) == 60
