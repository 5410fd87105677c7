"""What the simulated account does with the calls a connector pushes and the
history it serves: invoice life, payments, refunds, credit notes, payouts,
events, money in minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from plugins.stripe.simulator import Account, SimClock, Simulator, StripeError
from tests.simulators.stripe.frozen import NOW

DAY = 86400


def _customer(sim: Simulator, **params: Any) -> str:
    return str(sim.api("POST", "/v1/customers", {"name": "Ada", **params})["id"])


def _invoice(sim: Simulator, customer: str, amounts: list[int], **params: Any) -> str:
    invoice = sim.api("POST", "/v1/invoices", {"customer": customer, **params})
    sim.api("POST", f"/v1/invoices/{invoice['id']}/add_lines",
            {"lines": [{"amount": a, "description": f"line {i}"} for i, a in enumerate(amounts)]})
    return str(invoice["id"])


def _events(sim: Simulator, **params: Any) -> list[dict[str, Any]]:
    return list(sim.api("GET", "/v1/events", {"limit": 100, **params})["data"])


def _types(sim: Simulator) -> list[str]:
    return [e["type"] for e in reversed(_events(sim))]


def test_an_invoice_from_draft_to_paid_by_card(sim: Simulator) -> None:
    customer = _customer(sim, invoice_prefix="ADA")
    invoice_id = _invoice(sim, customer, [1000, 2550], currency="USD",
                          collection_method="send_invoice", days_until_due=30)
    sim.api("POST", "/v1/invoiceitems", {
        "customer": customer, "invoice": invoice_id, "quantity": 3,
        "unit_amount_decimal": "333.5", "description": "hours"})
    draft = sim.api("GET", f"/v1/invoices/{invoice_id}")
    assert draft["status"] == "draft" and draft["number"] is None
    assert draft["currency"] == "usd"
    assert draft["total"] == draft["amount_due"] == 1000 + 2550 + 1001  # 3 x 333.5, half up
    assert [x["quantity"] for x in draft["lines"]["data"]] == [1, 1, 3]

    sim.clock.advance(3600)
    open_ = sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    assert open_["status"] == "open" and open_["number"] == "ADA-0001"
    assert open_["status_transitions"]["finalized_at"] == NOW + 3600
    assert open_["due_date"] == NOW + 3600 + 30 * DAY
    assert open_["amount_remaining"] == 4551
    [payment] = sim.api("GET", "/v1/invoice_payments", {"invoice": invoice_id})["data"]
    assert payment["status"] == "open" and payment["is_default"]
    assert payment["amount_requested"] == 4551 and payment["amount_paid"] is None

    paid = sim.api("POST", f"/v1/invoices/{invoice_id}/pay")
    assert paid["status"] == "paid" and paid["amount_paid"] == 4551
    assert paid["amount_remaining"] == 0 and paid["attempt_count"] == 1
    for gone in ("paid", "charge", "payment_intent"):  # basil: not on the invoice any more
        assert gone not in paid
    [payment] = sim.api("GET", "/v1/invoice_payments", {"invoice": invoice_id})["data"]
    assert payment["status"] == "paid" and payment["amount_paid"] == 4551
    intent = sim.api("GET", f"/v1/payment_intents/{payment['payment']['payment_intent']}")
    assert intent["status"] == "succeeded" and intent["amount_received"] == 4551
    charge = sim.api("GET", f"/v1/charges/{intent['latest_charge']}")
    assert charge["amount"] == 4551 and charge["customer"] == customer
    txn = sim.api("GET", f"/v1/balance_transactions/{charge['balance_transaction']}")
    assert txn["fee"] == (4551 * 29 + 500) // 1000 + 30 and txn["net"] == 4551 - txn["fee"]
    assert txn["source"] == charge["id"] and txn["type"] == "charge"

    second = _invoice(sim, customer, [500])
    assert sim.api("POST", f"/v1/invoices/{second}/finalize")["number"] == "ADA-0002"
    assert _types(sim)[:9] == [
        "customer.created", "invoice.created", "invoiceitem.created", "invoiceitem.created",
        "invoice.updated", "invoiceitem.created", "invoice.updated", "payment_intent.created",
        "invoice.finalized"]
    assert {"payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
            "invoice_payment.paid", "invoice.paid", "invoice.payment_succeeded"} <= set(
        _types(sim))


def test_paid_out_of_band(sim: Simulator) -> None:
    invoice_id = _invoice(sim, _customer(sim), [7000])
    sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    paid = sim.api("POST", f"/v1/invoices/{invoice_id}/pay", {"paid_out_of_band": "true"})
    assert paid["status"] == "paid" and paid["amount_remaining"] == 0
    assert paid["amount_paid"] == 0  # nothing went through Stripe
    assert paid["status_transitions"]["paid_at"] == NOW
    [payment] = sim.api("GET", "/v1/invoice_payments", {"invoice": invoice_id})["data"]
    assert payment["status"] == "canceled" and payment["status_transitions"]["canceled_at"] == NOW
    assert sim.api("GET", "/v1/charges")["data"] == []
    assert "invoice.paid" in _types(sim)
    with pytest.raises(StripeError, match="already paid"):
        sim.api("POST", f"/v1/invoices/{invoice_id}/pay", {"paid_out_of_band": True})


def test_remove_lines_from_a_draft(sim: Simulator) -> None:
    customer = _customer(sim)
    invoice_id = _invoice(sim, customer, [1000, 2000, 3000])
    lines = sim.api("GET", f"/v1/invoices/{invoice_id}")["lines"]["data"]
    after = sim.api("POST", f"/v1/invoices/{invoice_id}/remove_lines", {"lines": [
        {"id": lines[0]["id"], "behavior": "delete"},
        {"id": lines[2]["id"], "behavior": "unassign"}]})
    assert [x["amount"] for x in after["lines"]["data"]] == [2000]
    assert after["total"] == 2000
    pending = sim.api("GET", "/v1/invoiceitems", {"pending": True})["data"]
    assert [x["amount"] for x in pending] == [3000]  # unassigned: waits for the next invoice
    assert len(sim.api("GET", "/v1/invoiceitems")["data"]) == 2  # the deleted one is gone
    with pytest.raises(StripeError, match="is not on invoice"):
        sim.api("POST", f"/v1/invoices/{invoice_id}/remove_lines",
                {"lines": [{"id": lines[0]["id"], "behavior": "delete"}]})
    sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    with pytest.raises(StripeError, match="only change on a draft"):
        sim.api("POST", f"/v1/invoices/{invoice_id}/remove_lines",
                {"lines": [{"id": lines[1]["id"], "behavior": "delete"}]})


def test_wrong_states_are_refused(sim: Simulator) -> None:
    invoice_id = _invoice(sim, _customer(sim), [100])
    with pytest.raises(StripeError, match="draft"):
        sim.api("POST", f"/v1/invoices/{invoice_id}/pay")
    sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    with pytest.raises(StripeError) as caught:
        sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    assert caught.value.status == 400 and caught.value.code == "invoice_not_editable"
    with pytest.raises(StripeError):
        sim.api("POST", f"/v1/invoices/{invoice_id}/add_lines", {"lines": [{"amount": 5}]})
    with pytest.raises(StripeError):
        sim.api("POST", f"/v1/invoices/{invoice_id}", {"due_date": NOW + DAY})
    updated = sim.api("POST", f"/v1/invoices/{invoice_id}", {"metadata": {"erp": "INV-9"}})
    assert updated["metadata"] == {"erp": "INV-9"}
    assert sim.api("POST", f"/v1/invoices/{invoice_id}/mark_uncollectible")["status"] == \
        "uncollectible"
    voided = sim.api("POST", f"/v1/invoices/{invoice_id}/void")
    assert voided["status"] == "void" and voided["status_transitions"]["voided_at"] == NOW
    with pytest.raises(StripeError):
        sim.api("POST", f"/v1/invoices/{invoice_id}/void")


def test_collection_method_rules(sim: Simulator) -> None:
    customer = _customer(sim)
    with pytest.raises(StripeError) as caught:
        sim.api("POST", "/v1/invoices", {"customer": customer,
                                         "collection_method": "send_invoice"})
    assert caught.value.param == "days_until_due"
    with pytest.raises(StripeError):
        sim.api("POST", "/v1/invoices", {"customer": customer, "days_until_due": 10})
    fixed = sim.api("POST", "/v1/invoices", {"customer": customer,
                                             "collection_method": "send_invoice",
                                             "due_date": NOW + 5 * DAY})
    assert fixed["due_date"] == NOW + 5 * DAY
    assert sim.api("POST", "/v1/invoices", {"customer": customer})["due_date"] is None


def test_updates_emit_events_with_previous_attributes(sim: Simulator) -> None:
    customer = _customer(sim, email="old@example.com", metadata={"keep": "1", "drop": "2"})
    updated = sim.api("POST", f"/v1/customers/{customer}", {
        "email": "new@example.com", "metadata": {"drop": "", "add": "3"}})
    assert updated["metadata"] == {"keep": "1", "add": "3"}
    [event] = _events(sim, type="customer.updated")
    assert event["data"]["object"]["email"] == "new@example.com"
    assert event["data"]["previous_attributes"] == {
        "email": "old@example.com", "metadata": {"drop": "2", "add": None}}
    assert event["request"] == {"id": None, "idempotency_key": None}
    sim.api("POST", f"/v1/customers/{customer}", {"email": "new@example.com"})
    assert len(_events(sim, type="customer.updated")) == 1  # nothing changed, no event
    deleted = sim.api("DELETE", f"/v1/customers/{customer}")
    assert deleted["deleted"] is True
    assert _types(sim)[-1] == "customer.deleted"
    assert sim.api("GET", "/v1/customers")["data"] == []


def test_an_event_keeps_the_object_as_it_was(sim: Simulator) -> None:
    invoice_id = _invoice(sim, _customer(sim), [100])
    sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    sim.api("POST", f"/v1/invoices/{invoice_id}/pay")
    created = _events(sim, type="invoice.created")[0]["data"]["object"]
    finalized = _events(sim, type="invoice.finalized")[0]["data"]["object"]
    assert created["status"] == "draft" and created["lines"]["data"] == []
    assert finalized["status"] == "open" and finalized["total"] == 100
    assert sim.api("GET", f"/v1/invoices/{invoice_id}")["status"] == "paid"


def test_event_filters_and_retention(sim: Simulator) -> None:
    customer = _customer(sim)
    sim.clock.advance(10 * DAY)
    invoice_id = _invoice(sim, customer, [100])
    sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    assert {e["type"] for e in _events(sim, type="invoice.*")} == {
        "invoice.created", "invoice.updated", "invoice.finalized"}
    assert [e["type"] for e in _events(sim, types=["customer.created", "invoice.finalized"])] \
        == ["invoice.finalized", "customer.created"]
    assert [e["type"] for e in _events(sim, created={"lt": NOW + DAY})] == ["customer.created"]
    with pytest.raises(StripeError):
        _events(sim, types=[f"t{i}" for i in range(21)])
    old = _events(sim, type="customer.created")[0]["id"]
    sim.clock.advance(21 * DAY)  # the customer's event is now 31 days old
    assert "customer.created" not in {e["type"] for e in _events(sim)}
    with pytest.raises(StripeError) as caught:
        sim.api("GET", f"/v1/events/{old}")
    assert caught.value.status == 404
    assert [e["type"] for e in reversed(_events(sim))] == [
        "invoice.created", "invoiceitem.created", "invoice.updated", "payment_intent.created",
        "invoice.finalized"]


def test_refunds(sim: Simulator) -> None:
    invoice_id = _invoice(sim, _customer(sim), [10000])
    sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
    sim.api("POST", f"/v1/invoices/{invoice_id}/pay")
    [charge] = sim.api("GET", "/v1/charges")["data"]
    refund = sim.api("POST", "/v1/refunds", {"charge": charge["id"], "amount": 2500,
                                             "reason": "requested_by_customer"})
    assert refund["amount"] == 2500 and refund["status"] == "succeeded"
    txn = sim.api("GET", f"/v1/balance_transactions/{refund['balance_transaction']}")
    assert txn["amount"] == -2500 and txn["type"] == "refund" and txn["source"] == refund["id"]
    charge = sim.api("GET", f"/v1/charges/{charge['id']}")
    assert charge["amount_refunded"] == 2500 and not charge["refunded"]
    assert [x["id"] for x in charge["refunds"]["data"]] == [refund["id"]]
    with pytest.raises(StripeError, match="greater than unrefunded"):
        sim.api("POST", "/v1/refunds", {"charge": charge["id"], "amount": 7501})
    rest = sim.api("POST", "/v1/refunds", {"payment_intent": charge["payment_intent"]})
    assert rest["amount"] == 7500
    assert sim.api("GET", f"/v1/charges/{charge['id']}")["refunded"] is True
    listed = sim.api("GET", f"/v1/charges/{charge['id']}/refunds")["data"]
    assert [x["id"] for x in listed] == [rest["id"], refund["id"]]
    with pytest.raises(StripeError) as caught:
        sim.api("POST", "/v1/refunds", {"charge": charge["id"]})
    assert caught.value.code == "charge_already_refunded"
    assert [t for t in _types(sim) if t in ("refund.created", "charge.refunded")] == [
        "refund.created", "charge.refunded"] * 2


def test_credit_notes_before_and_after_payment(sim: Simulator) -> None:
    customer = _customer(sim)
    open_id = _invoice(sim, customer, [3000, 2000])
    sim.api("POST", f"/v1/invoices/{open_id}/finalize")
    line = sim.api("GET", f"/v1/invoices/{open_id}/lines")["data"][1]
    note = sim.api("POST", "/v1/credit_notes", {
        "invoice": open_id, "reason": "order_change",
        "lines": [{"type": "invoice_line_item", "invoice_line_item": line["id"]}]})
    assert note["type"] == "pre_payment" and note["amount"] == 2000
    assert note["number"].endswith("-CN-01") and note["lines"]["data"][0]["invoice_line_item"]
    invoice = sim.api("GET", f"/v1/invoices/{open_id}")
    assert invoice["pre_payment_credit_notes_amount"] == 2000
    assert invoice["amount_due"] == 3000 and invoice["amount_remaining"] == 3000
    settled = sim.api("POST", "/v1/credit_notes", {"invoice": open_id, "amount": 3000})
    assert settled["number"].endswith("-CN-02")
    assert sim.api("GET", f"/v1/invoices/{open_id}")["status"] == "paid"

    paid_id = _invoice(sim, customer, [9000])
    sim.api("POST", f"/v1/invoices/{paid_id}/finalize")
    sim.api("POST", f"/v1/invoices/{paid_id}/pay")
    back = sim.api("POST", "/v1/credit_notes", {"invoice": paid_id, "amount": 4000,
                                                "refund_amount": 3000, "credit_amount": 1000})
    assert back["type"] == "post_payment" and back["post_payment_amount"] == 4000
    [refund] = back["refunds"]
    assert refund["amount_refunded"] == 3000
    assert sim.api("GET", f"/v1/refunds/{refund['refund']}")["amount"] == 3000
    assert back["customer_balance_transaction"].startswith("cbtxn_")
    assert sim.api("GET", f"/v1/customers/{customer}")["balance"] == -1000
    with pytest.raises(StripeError):
        sim.api("POST", "/v1/credit_notes", {"invoice": paid_id, "amount": 6000})
    outside = sim.api("POST", "/v1/credit_notes", {"invoice": paid_id, "amount": 500,
                                                   "out_of_band_amount": 500})
    assert outside["out_of_band_amount"] == 500
    listed = sim.api("GET", "/v1/credit_notes", {"invoice": paid_id})["data"]
    assert [x["id"] for x in listed] == [outside["id"], back["id"]]


def test_money_in_zero_and_three_decimal_currencies(sim: Simulator) -> None:
    yen = _invoice(sim, _customer(sim), [12345], currency="jpy")
    sim.api("POST", f"/v1/invoices/{yen}/finalize")
    paid = sim.api("POST", f"/v1/invoices/{yen}/pay")
    assert paid["amount_paid"] == 12345 and paid["currency"] == "jpy"
    [charge] = sim.api("GET", "/v1/charges", {"expand": ["data.balance_transaction"]})["data"]
    assert charge["balance_transaction"]["fee"] == (12345 * 29 + 500) // 1000  # no fixed part

    dinar = _invoice(sim, _customer(sim), [10005], currency="bhd")
    sim.api("POST", f"/v1/invoices/{dinar}/finalize")
    with pytest.raises(StripeError) as caught:
        sim.api("POST", f"/v1/invoices/{dinar}/pay")
    assert caught.value.code == "amount_invalid"
    fine = _invoice(sim, _customer(sim), [10010], currency="bhd")
    sim.api("POST", f"/v1/invoices/{fine}/finalize")
    assert sim.api("POST", f"/v1/invoices/{fine}/pay")["amount_paid"] == 10010
    charge = sim.api("GET", "/v1/charges", {"limit": 1})["data"][0]
    with pytest.raises(StripeError):
        sim.api("POST", "/v1/refunds", {"charge": charge["id"], "amount": 15})
    with pytest.raises(StripeError, match="Invalid currency"):
        sim.api("POST", "/v1/invoices", {"customer": _customer(sim), "currency": "xyz"})


def test_metadata_limits(sim: Simulator) -> None:
    with pytest.raises(StripeError, match="up to 50 keys"):
        _customer(sim, metadata={f"k{i}": "v" for i in range(51)})
    with pytest.raises(StripeError, match="40 characters"):
        _customer(sim, metadata={"k" * 41: "v"})
    with pytest.raises(StripeError, match="500"):
        _customer(sim, metadata={"k": "v" * 501})
    customer = _customer(sim, metadata={f"k{i}": "v" for i in range(50)})
    cleared = sim.api("POST", f"/v1/customers/{customer}", {"metadata": ""})
    assert cleared["metadata"] == {}


def test_payouts_settle_what_became_available(sim: Simulator) -> None:
    customer = _customer(sim)
    for amount in (10000, 20000):
        invoice_id = _invoice(sim, customer, [amount])
        sim.api("POST", f"/v1/invoices/{invoice_id}/finalize")
        sim.api("POST", f"/v1/invoices/{invoice_id}/pay")
    charges = sim.api("GET", "/v1/charges")["data"]
    sim.api("POST", "/v1/refunds", {"charge": charges[0]["id"], "amount": 5000})
    assert sim.pay_out() == []  # card funds are available two days later
    sim.clock.advance(2 * DAY)
    late = _invoice(sim, customer, [999])
    sim.api("POST", f"/v1/invoices/{late}/finalize")
    sim.api("POST", f"/v1/invoices/{late}/pay")
    [payout] = sim.pay_out()
    txns = sim.api("GET", "/v1/balance_transactions", {"payout": payout.id, "limit": 100})["data"]
    kinds = sorted(t["type"] for t in txns)
    assert kinds == ["charge", "charge", "payout", "refund"]
    fees = sum(t["fee"] for t in txns)
    gross = sum(t["amount"] for t in txns if t["type"] == "charge")
    refunds = -sum(t["amount"] for t in txns if t["type"] == "refund")
    assert payout.amount == gross - fees - refunds == 30000 - fees - 5000
    assert sum(t["net"] for t in txns) == 0
    shown = sim.api("GET", f"/v1/payouts/{payout.id}")
    assert shown["status"] == "in_transit" and shown["automatic"] is True
    assert shown["arrival_date"] == NOW + 4 * DAY
    sim.clock.advance(2 * DAY)
    assert [p.id for p in sim.settle_payouts()] == [payout.id]
    assert sim.api("GET", f"/v1/payouts/{payout.id}")["status"] == "paid"
    assert {"payout.created", "payout.paid"} <= set(_types(sim))
    [later] = sim.pay_out()  # the charge of the third invoice, two days on
    assert later.amount == 999 - ((999 * 29 + 500) // 1000 + 30)


def test_payment_intents_without_an_invoice(sim: Simulator) -> None:
    customer = _customer(sim)
    intent = sim.api("POST", "/v1/payment_intents", {
        "amount": 4200, "currency": "eur", "customer": customer, "confirm": True,
        "payment_method": "pm_card_visa"})
    assert intent["status"] == "succeeded" and intent["latest_charge"].startswith("ch_")
    waiting = sim.api("POST", "/v1/payment_intents", {"amount": 100, "currency": "eur"})
    assert waiting["status"] == "requires_payment_method" and waiting["latest_charge"] is None
    assert sim.api("GET", "/v1/invoice_payments", {
        "payment": {"type": "payment_intent", "payment_intent": intent["id"]}})["data"] == []
    assert [x["id"] for x in sim.api("GET", "/v1/payment_intents",
                                     {"customer": customer})["data"]] == [intent["id"]]


def test_a_charge_in_another_currency_settles_converted_into_the_account_currency() -> None:
    """A USD account that pays out only USD: a JPY charge's balance transaction is in
    USD (amount, fee, net, exchange rate); the charge keeps the yen; the refund and the
    payout follow in USD."""
    sim = Simulator(seed=7, clock=SimClock(frozen_at=NOW),
                    account=Account(default_currency="usd", payout_currencies=frozenset({"usd"})))
    customer = _customer(sim)
    intent = sim.api("POST", "/v1/payment_intents", {
        "amount": 16000, "currency": "jpy", "customer": customer, "confirm": True,
        "payment_method": "pm_card_visa"})
    [charge] = sim.api("GET", "/v1/charges", {"expand": ["data.balance_transaction"]})["data"]
    assert (charge["currency"], charge["amount"], charge["payment_intent"]) == (
        "jpy", 16000, intent["id"])
    txn = charge["balance_transaction"]
    assert (txn["currency"], txn["amount"], txn["fee"], txn["net"]) == ("usd", 10000, 320, 9680)
    assert txn["exchange_rate"] == 0.00625  # JPY 16,000 x 0.00625 = USD 100.00
    assert txn["fee_details"] == [{"amount": 320, "application": None, "currency": "usd",
                                   "description": "Stripe processing fees",
                                   "type": "stripe_fee"}]
    refund = sim.api("POST", "/v1/refunds", {"charge": charge["id"], "amount": 4000})
    assert (refund["currency"], refund["amount"]) == ("jpy", 4000)
    back = sim.api("GET", f"/v1/balance_transactions/{refund['balance_transaction']}")
    assert (back["currency"], back["amount"], back["exchange_rate"]) == ("usd", -2500, 0.00625)
    sim.api("POST", "/v1/payment_intents", {  # a USD charge stays as it is
        "amount": 5000, "currency": "usd", "customer": customer, "confirm": True,
        "payment_method": "pm_card_visa"})
    sim.clock.advance(2 * DAY)
    [payout] = sim.pay_out()
    assert (payout.currency, payout.amount) == ("usd", 9680 - 2500 + 5000 - (145 + 30))
    settled = sim.api("GET", "/v1/balance_transactions", {"payout": payout.id})["data"]
    assert {t["currency"] for t in settled} == {"usd"}
    assert sum(t["net"] for t in settled) == 0
    usd_only = sim.store.account
    assert usd_only.settle(4, "jpy") == ("usd", 3, Decimal("0.00625"))  # 2.5 cents, half up
    assert usd_only.settle(4, "usd") == ("usd", 4, None)
    assert Account().settle(16000, "jpy") == ("jpy", 16000, None)  # the default converts nothing
