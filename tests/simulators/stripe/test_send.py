"""``POST /v1/invoices/{id}/send`` through the real ``stripe`` SDK: a finalized
``send_invoice`` invoice is e-mailed (kept in ``store.sent_invoices``, ``invoice.sent``
emitted); the rest is refused; a retried key replays instead of sending again."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from plugins.stripe.simulator import Simulator

pytestmark = pytest.mark.filterwarnings(  # stripe 16.1 hands httpx its body as data=str
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning")


def _draft(client: Any, *, email: str | None = "ap@harbour.example",
           method: str = "send_invoice") -> Any:
    customer = client.v1.customers.create({"name": "Harbour", **({"email": email} if email
                                                                   else {})})
    params: dict[str, Any] = {"customer": customer.id, "collection_method": method,
                              "auto_advance": False}
    if method == "send_invoice":
        params["days_until_due"] = 30
    invoice = client.v1.invoices.create(params)
    client.v1.invoices.add_lines(invoice.id, {"lines": [{"amount": 5000,
                                                         "description": "Audit"}]})
    return invoice


def test_a_finalized_invoice_is_sent_once_per_key(client: Any, sim: Simulator) -> None:
    invoice = _draft(client)
    with pytest.raises(stripe.InvalidRequestError, match="only send an invoice that has been "
                                                         "finalized"):
        client.v1.invoices.send_invoice(invoice.id)
    client.v1.invoices.finalize_invoice(invoice.id)
    sent = client.v1.invoices.send_invoice(invoice.id, options={"idempotency_key": "k-1"})
    again = client.v1.invoices.send_invoice(invoice.id, options={"idempotency_key": "k-1"})
    assert sent.id == again.id == invoice.id and sent.status == "open"
    assert [(s.invoice, s.to) for s in sim.store.sent_invoices] == [
        (invoice.id, "ap@harbour.example")]
    assert [e.type for e in sim.store.events.values()].count("invoice.sent") == 1


def test_refusals_no_address_automatic_collection_and_void(client: Any, sim: Simulator) -> None:
    nobody = _draft(client, email=None)
    client.v1.invoices.finalize_invoice(nobody.id)
    with pytest.raises(stripe.InvalidRequestError, match="customer has no email address"):
        client.v1.invoices.send_invoice(nobody.id)
    charged = _draft(client, method="charge_automatically")
    client.v1.invoices.finalize_invoice(charged.id)
    with pytest.raises(stripe.InvalidRequestError, match="collection method is 'send_invoice'"):
        client.v1.invoices.send_invoice(charged.id)
    gone = _draft(client)
    client.v1.invoices.finalize_invoice(gone.id)
    client.v1.invoices.void_invoice(gone.id)
    with pytest.raises(stripe.InvalidRequestError, match="cannot send a void invoice"):
        client.v1.invoices.send_invoice(gone.id)
    assert sim.store.sent_invoices == []
