"""The query language through python-quickbooks: paging, WHERE, count, errors, get."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
import requests
from quickbooks.exceptions import ObjectNotFoundException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from plugins.quickbooks.simulator import QboSimulator, QboSimulatorServer


def test_paging_with_orderby_gives_every_invoice_once(qb: Any, sim: QboSimulator) -> None:
    seen: list[str] = []
    start = 1
    while True:
        page = Invoice.where("", order_by="Id", start_position=start, max_results=7, qb=qb)
        seen += [inv.Id for inv in page]
        if len(page) < 7:
            break
        start += 7
    assert seen == [inv["Id"] for inv in sim.all("Invoice")]
    assert len(seen) == len(set(seen)) == 60


def test_query_answer_shape(qb: Any) -> None:
    answer = qb.query("SELECT * FROM Invoice ORDERBY DocNumber DESC STARTPOSITION 3 "
                      "MAXRESULTS 5")["QueryResponse"]
    assert answer["startPosition"] == 3 and answer["maxResults"] == 5
    numbers = [inv["DocNumber"] for inv in answer["Invoice"]]
    assert numbers == sorted(numbers, reverse=True)
    empty = qb.query("select * from invoice where DocNumber = 'nope'")
    assert empty["QueryResponse"] == {}


def test_where_on_last_updated_time_compares_instants(qb: Any, sim: QboSimulator) -> None:
    invoices = sim.all("Invoice")
    cutoff = sorted(inv["MetaData"]["LastUpdatedTime"] for inv in invoices)[30]
    # the same instant written in UTC must select the same objects
    from datetime import datetime

    utc = datetime.fromisoformat(cutoff).astimezone(UTC).isoformat()
    expected = {inv["Id"] for inv in invoices
                if datetime.fromisoformat(inv["MetaData"]["LastUpdatedTime"])
                > datetime.fromisoformat(cutoff)}
    found = Invoice.where(f"MetaData.LastUpdatedTime > '{utc}'", max_results=1000, qb=qb)
    assert {inv.Id for inv in found} == expected
    assert 0 < len(expected) < 60


def test_count_and_filters(qb: Any, sim: QboSimulator) -> None:
    assert Invoice.count(qb=qb) == 60
    amy = sim.all("Customer")[0]
    theirs = [inv for inv in sim.all("Invoice") if inv["CustomerRef"]["value"] == amy["Id"]]
    assert Invoice.count(f"CustomerRef = '{amy['Id']}'", qb=qb) == len(theirs)
    assert [c.DisplayName for c in Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)] \
        == ["Amy's Bird Sanctuary"]
    assert len(Customer.where("DisplayName LIKE 'amy%'", qb=qb)) == 1
    some = [inv["Id"] for inv in sim.all("Invoice")[:3]]
    assert sorted(i.Id for i in Invoice.choose(some, qb=qb)) == sorted(some)
    open_count = sum(1 for inv in sim.all("Invoice") if inv["Balance"] > 0)
    assert Invoice.count("Balance > '0'", qb=qb) == open_count
    assert Invoice.count("CurrencyRef = 'EUR'", qb=qb) >= 1


def test_inactive_customers_are_hidden_unless_asked(qb: Any, sim: QboSimulator) -> None:
    customer = sim.all("Customer")[5]
    sim.delete("Customer", customer["Id"])  # QuickBooks makes names inactive
    assert Customer.count(qb=qb) == 19
    assert Customer.count("Active IN (true, false)", qb=qb) == 20
    assert [c.Id for c in Customer.where("Active = false", qb=qb)] == [customer["Id"]]


@pytest.mark.parametrize("statement", [
    "SELECT * FROM Invoice WHERE",
    "SELECT * FROM Invoice WHERE TotalAmt > 10 OR Balance > 0",
    "SELECT * FROM Invoice WHERE DocNumber = 'unterminated",
    "SELEC * FROM Invoice",
    "SELECT * FROM Invoice MAXRESULTS ten",
])
def test_parser_errors_are_4000(qb: Any, statement: str) -> None:
    with pytest.raises(ValidationException) as error:
        qb.query(statement)
    assert error.value.error_code == 4000
    assert "QueryParserError" in error.value.detail


def test_unknown_entity_is_4001(qb: Any) -> None:
    with pytest.raises(ValidationException) as error:
        qb.query("SELECT * FROM Gadget")
    assert error.value.error_code == 4001


def test_get_by_id_and_not_found(qb: Any, sim: QboSimulator) -> None:
    invoice = Invoice.get(7, qb=qb)
    served = sim.get("Invoice", "7")
    assert invoice.DocNumber == served["DocNumber"]
    assert str(invoice.TotalAmt) == str(served["TotalAmt"])
    with pytest.raises(ObjectNotFoundException):
        Invoice.get(9999, qb=qb)


def test_get_query_and_minorversion_are_recorded(server: QboSimulatorServer, qb: Any,
                                                 sim: QboSimulator) -> None:
    token = qb.session.access_token
    answer = requests.get(f"{server.api_url}/company/{server.realm_id}/query",
                          params={"query": "select count(*) from Invoice",
                                  "minorversion": "75"},
                          headers={"Authorization": f"Bearer {token}",
                                   "Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["QueryResponse"] == {"totalCount": 60}
    assert "75" in sim.minorversions
    assert sim.count_requests("GET", r"/query$", 200) == 1
