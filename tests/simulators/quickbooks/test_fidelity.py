"""A served invoice has the fields, and JSON types, of Intuit's documented sample.

``tests/data/qbo/sample_invoice.json`` reconstructs the sample invoice of Intuit's
API reference (DocNumber 1070, Amy's Bird Sanctuary, 150.0, one sales line and the
subtotal line, ``"Lat": "INVALID"`` noise). The check runs on the wire: the JSON
python-quickbooks receives, not the simulator's dicts.
"""

from __future__ import annotations

import json
from typing import Any

from plugins.quickbooks.simulator import QboSimulator
from tests.support.paths import DATA

SAMPLE = DATA / "qbo" / "sample_invoice.json"
ALLOWED_EXTRA = {"Invoice": {"PrivateNote", "ExchangeRate", "HomeTotalAmt", "HomeBalance",
                             "CustomerMemo", "SalesTermRef"},
                 "SalesItemLineDetail": {"Qty", "UnitPrice", "ServiceDate"},
                 "Line": {"Description"}}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _compare(sample: Any, served: Any, where: str, problems: list[str]) -> None:
    if _kind(sample) != _kind(served):
        problems.append(f"{where}: sample {_kind(sample)}, served {_kind(served)}")
        return
    if isinstance(sample, dict):
        name = where.rsplit(".", 1)[-1].split("[")[0]
        for key, value in sample.items():
            if key not in served:
                problems.append(f"{where}.{key}: missing")
            else:
                _compare(value, served[key], f"{where}.{key}", problems)
        extra = set(served) - set(sample) - ALLOWED_EXTRA.get(name, set())
        if extra:
            problems.append(f"{where}: fields the sample does not have: {sorted(extra)}")
    elif isinstance(sample, list):
        for index, value in enumerate(sample):
            kind = value.get("DetailType") if isinstance(value, dict) else None
            twin = next((x for x in served if kind is None or x.get("DetailType") == kind), None)
            if twin is None:
                problems.append(f"{where}[{index}]: nothing like it served")
            else:
                _compare(value, twin, f"{where.rsplit('.', 1)[-1]}", problems)


def test_served_invoice_matches_the_documented_sample(qb: Any, sim: QboSimulator) -> None:
    sample = json.loads(SAMPLE.read_text())
    created = sim.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 150,
         "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]})
    response = qb.session.request(
        "GET", f"{qb.api_url}/company/{qb.company_id}/invoice/{created['Id']}",
        params={"minorversion": 75}, headers={"Accept": "application/json",
                                              "Authorization": f"Bearer {qb.session.access_token}"})
    served = json.loads(response.text)
    assert set(served) == set(sample)
    problems: list[str] = []
    _compare(sample["Invoice"], served["Invoice"], "Invoice", problems)
    assert problems == []
    invoice = served["Invoice"]
    assert invoice["TotalAmt"] == 150.0 and invoice["Balance"] == 150.0
    assert invoice["CustomerRef"]["name"] == "Amy's Bird Sanctuary"
    assert invoice["BillAddr"]["Lat"] == "INVALID"
    assert '"TotalAmt":150.0' in response.text  # a JSON number written from the Decimal
