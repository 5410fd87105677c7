"""Disputes through the real ``stripe`` SDK: a chargeback withdraws the amount and the
dispute fee, a won one gives the amount back (not the fee), closing accepts (lost), an
inquiry moves no money; the list pages and filters as Stripe's lists do; an invoice can be
paid in part by attaching a payment intent."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from plugins.stripe.simulator import Simulator
from tests.simulators.stripe.frozen import NOW

pytestmark = pytest.mark.filterwarnings(  # stripe 16.1 hands httpx its body as data=str
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning")

DAY = 86_400


def _charge(client: Any, amount: int = 40_000) -> str:
    intent = client.v1.payment_intents.create({
        "amount": amount, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": True})
    return str(intent.latest_charge)


def test_a_chargeback_withdraws_the_amount_and_the_fee_and_a_won_one_returns_the_amount(
        client: Any, sim: Simulator) -> None:
    charge = _charge(client)
    opened = sim.open_dispute(charge, reason="fraudulent", due_days=21)
    dispute = client.v1.disputes.retrieve(opened.id)
    assert (dispute.status, dispute.amount, dispute.currency, dispute.reason,
            dispute.charge) == ("needs_response", 40_000, "usd", "fraudulent", charge)
    assert dispute.evidence_details.due_by == NOW + 21 * DAY
    [out] = dispute.balance_transactions
    assert (out.amount, out.fee, out.net, out.type, out.reporting_category) == (
        -40_000, 1_500, -41_500, "adjustment", "dispute")
    assert client.v1.charges.retrieve(charge).disputed is True

    sim.decide_dispute(opened.id, "under_review")
    assert client.v1.disputes.retrieve(opened.id).status == "under_review"
    sim.decide_dispute(opened.id, "won")
    won = client.v1.disputes.retrieve(opened.id)
    assert won.status == "won"
    assert [(t.amount, t.fee, t.reporting_category) for t in won.balance_transactions] == [
        (-40_000, 1_500, "dispute"), (40_000, 0, "dispute_reversal")]
    kinds = [e.type for e in client.v1.events.list({"type": "charge.dispute.*"}).data]
    assert kinds == ["charge.dispute.funds_reinstated", "charge.dispute.closed",
                     "charge.dispute.updated", "charge.dispute.funds_withdrawn",
                     "charge.dispute.created"]


def test_closing_accepts_the_dispute_once(client: Any, sim: Simulator) -> None:
    lost = sim.open_dispute(_charge(client))
    assert client.v1.disputes.close(lost.id).status == "lost"
    with pytest.raises(stripe.InvalidRequestError, match="already lost"):
        client.v1.disputes.close(lost.id)
    inquiry = sim.open_dispute(_charge(client), inquiry=True)
    asked = client.v1.disputes.retrieve(inquiry.id)
    assert asked.status == "warning_needs_response" and asked.balance_transactions == []
    assert client.v1.disputes.close(inquiry.id).status == "warning_closed"


def test_the_list_pages_newest_first_and_filters(client: Any, sim: Simulator) -> None:
    made = []
    for _ in range(3):
        made.append(sim.open_dispute(_charge(client, 1_000)).id)
        sim.clock.advance(60)
    first = client.v1.disputes.list({"limit": 2})
    assert [d.id for d in first.data] == made[::-1][:2] and first.has_more
    rest = client.v1.disputes.list({"limit": 2, "starting_after": first.data[-1].id})
    assert [d.id for d in rest.data] == made[:1] and not rest.has_more
    recent = client.v1.disputes.list({"created": {"gte": NOW + 60}})
    assert [d.id for d in recent.data] == made[::-1][:2]
    one = client.v1.disputes.list({"charge": sim.store.disputes.get(made[0]).charge})
    assert [d.id for d in one.data] == made[:1]


def test_an_attached_payment_intent_pays_part_of_an_invoice(client: Any) -> None:
    customer = client.v1.customers.create({"name": "Harbour", "email": "ap@harbour.example"})
    invoice = client.v1.invoices.create({"customer": customer.id,
                                         "collection_method": "send_invoice",
                                         "days_until_due": 30})
    client.v1.invoices.add_lines(invoice.id, {"lines": [{"amount": 125_000,
                                                         "description": "Audit"}]})
    client.v1.invoices.finalize_invoice(invoice.id)
    intent = client.v1.payment_intents.create({
        "amount": 40_000, "currency": "usd", "customer": customer.id,
        "payment_method": "pm_card_visa", "confirm": True})
    part = client.v1.invoices.attach_payment(invoice.id, {"payment_intent": intent.id})
    assert (part.status, part.amount_paid, part.amount_remaining) == ("open", 40_000, 85_000)
    paid = client.v1.invoice_payments.list({"invoice": invoice.id, "status": "paid"}).data
    assert [(p.amount_paid, p.payment.payment_intent) for p in paid] == [(40_000, intent.id)]
    too_much = client.v1.payment_intents.create({
        "amount": 90_000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": True})
    with pytest.raises(stripe.InvalidRequestError, match="more than the invoice's amount"):
        client.v1.invoices.attach_payment(invoice.id, {"payment_intent": too_much.id})
