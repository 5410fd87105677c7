"""The send operation (``POST .../invoice/{id}/send``) through python-quickbooks' own
``Invoice.send``, as Intuit's reference describes it."""

from __future__ import annotations

from typing import Any

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.invoice import Invoice

from plugins.quickbooks.simulator import QboSimulator


def test_send_emails_the_invoice_and_says_so_in_the_invoice(qb: Any, sim: QboSimulator) -> None:
    target = next(i for i in sim.all("Invoice") if (i.get("BillEmail") or {}).get("Address"))
    token = target["SyncToken"]
    answer = Invoice.get(target["Id"], qb=qb).send(qb=qb)
    sent = answer["Invoice"]
    assert sent["EmailStatus"] == "EmailSent"
    assert sent["DeliveryInfo"]["DeliveryType"] == "Email" and sent["DeliveryInfo"]["DeliveryTime"]
    assert int(sent["SyncToken"]) == int(token) + 1  # an update: CDC sees it
    assert [(s.invoice_id, s.to) for s in sim.sent_invoices] == [
        (target["Id"], target["BillEmail"]["Address"])]


def test_send_to_another_address_makes_it_the_billing_address(qb: Any, sim: QboSimulator) -> None:
    target = sim.all("Invoice")[0]
    Invoice.get(target["Id"], qb=qb).send(qb=qb, send_to="ap@other.example")
    assert sim.get("Invoice", target["Id"])["BillEmail"] == {"Address": "ap@other.example"}
    assert sim.sent_invoices[-1].to == "ap@other.example"


def test_send_without_any_address_is_a_validation_fault(qb: Any, sim: QboSimulator) -> None:
    target = sim.all("Invoice")[0]
    stored = sim.company().objects["Invoice"][target["Id"]]
    stored.pop("BillEmail", None)
    with pytest.raises(QuickbooksException, match="Email Address Missing"):
        Invoice.get(target["Id"], qb=qb).send(qb=qb)
    assert sim.sent_invoices == []
