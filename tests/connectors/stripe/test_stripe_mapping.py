"""Stripe objects into canonical records: Stripe's own samples, currencies, bad payloads."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hub.errors import RecordRejected
from hub.models import CreditNote, Customer, Invoice, InvoiceStatus, Payment, Payout, Refund
from plugins.stripe import mapping
from tests.support.paths import DATA

SAMPLES: dict[str, Any] = json.loads(
    (DATA / "stripe" / "fixtures3.json").read_text())["resources"]
DAY = 1_772_582_400  # 2026-03-04 00:00 UTC


def sample(kind: str, **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = copy.deepcopy(SAMPLES[kind])
    obj.update(changes)
    return obj


def test_stripe_samples_map_to_canonical_records() -> None:
    cust = mapping.customer(sample("customer"), "stripe")
    assert isinstance(cust, Customer)
    assert (cust.external_id, cust.name, cust.currency) == (
        "cus_QXg1o8vcGmoR32", "cus_QXg1o8vcGmoR32", "USD")  # no name, no e-mail: named by id

    inv = mapping.invoice(sample("invoice"), "stripe")
    assert isinstance(inv, Invoice)
    assert (inv.number, inv.status, inv.currency) == (inv.external_id, InvoiceStatus.DRAFT, "USD")
    assert (inv.total, inv.balance, inv.amount_paid) == (
        Decimal("10.00"), Decimal("10.00"), Decimal("0.00"))
    assert [ln.amount for ln in inv.lines] == [Decimal("10.00")]
    assert inv.issue_date == date(2009, 2, 13) and inv.customer_ref == "cus_QXg1o8vcGmoR32"
    assert inv.raw == SAMPLES["invoice"]

    ref = mapping.refund(sample("refund"), "stripe")
    assert isinstance(ref, Refund)
    assert (ref.amount, ref.payment_ref, ref.status) == (
        Decimal("1.00"), "ch_1PgafuB7WZ01zgkWXYmPNZs8", "succeeded")

    note = mapping.credit_note(sample("credit_note", total_excluding_tax=1690), "stripe")
    assert isinstance(note, CreditNote)
    assert (note.number, note.invoice_ref, note.total, note.tax) == (
        "ABCD-1234-CN-01", "in_1Pgc75B7WZ01zgkWYv4iMwt7", Decimal("16.90"), Decimal("0.00"))
    assert [ln.amount for ln in note.lines] == [Decimal("11.90"), Decimal("5.00")]


def test_a_captured_charge_is_a_payment_with_its_fee_and_applications() -> None:
    auth_only = sample("charge")
    assert not mapping.is_payment(auth_only)  # the sample is authorised, not captured
    txn = sample("balance_transaction", amount=5000, fee=175, net=4825)
    charge = sample("charge", amount=5000, amount_captured=5000, captured=True,
                    status="succeeded", balance_transaction=txn, customer="cus_1",
                    payment_intent="pi_1", created=DAY)
    assert mapping.is_payment(charge)
    pay = mapping.payment(charge, "stripe", [("in_1", 3000), ("in_2", 1500)])
    assert isinstance(pay, Payment)
    assert (pay.amount, pay.fee, pay.unapplied, pay.received_date) == (
        Decimal("50.00"), Decimal("1.75"), Decimal("5.00"), date(2026, 3, 4))
    assert [(a.invoice_ref, a.amount) for a in pay.applications] == [
        ("in_1", Decimal("30.00")), ("in_2", Decimal("15.00"))]
    assert (pay.payer_name, pay.reference, pay.method) == ("Jenny Rosen", "pi_1", "card")


def test_a_charge_settled_in_another_currency_keeps_the_fee_in_that_currency() -> None:
    """Stripe converted a JPY charge into the USD account: fee, net and rate are USD."""
    txn = sample("balance_transaction", amount=10000, fee=320, net=9680, currency="usd",
                 exchange_rate=0.00625, fee_details=[
                     {"amount": 320, "application": None, "currency": "usd",
                      "description": "Stripe processing fees", "type": "stripe_fee"}])
    charge = sample("charge", amount=16000, amount_captured=16000, currency="jpy",
                    captured=True, status="succeeded", balance_transaction=txn, created=DAY)
    pay = mapping.payment(charge, "stripe")
    assert (pay.currency, pay.amount, pay.fee) == ("JPY", Decimal("16000"), None)
    assert pay.settlement is not None
    assert (pay.settlement.currency, pay.settlement.amount, pay.settlement.fee,
            pay.settlement.net, pay.settlement.exchange_rate) == (
        "USD", Decimal("100.00"), Decimal("3.20"), Decimal("96.80"), Decimal("0.00625"))
    for bad in (True, "fast", -1.0, {"rate": 1}):
        rejected = mapping.mapped("payment", mapping.payment,
                                  {**charge, "balance_transaction": {**txn,
                                                                     "exchange_rate": bad}},
                                  "stripe")
        assert isinstance(rejected, RecordRejected) and "exchange_rate" in rejected.reason

    settled = [sample("balance_transaction", id="txn_c1", type="charge", currency="usd",
                      source=charge, amount=10000, fee=320, net=9680, exchange_rate=0.00625)]
    out = mapping.payout(sample("payout", amount=9680, currency="usd", arrival_date=DAY,
                                status="paid"), "stripe", settled)
    [line] = out.transactions
    assert (line.source_ref, line.gross, line.fee, line.source_currency, line.source_amount,
            line.exchange_rate) == (charge["id"], Decimal("100.00"), Decimal("3.20"), "JPY",
                                    Decimal("16000"), Decimal("0.00625"))


@pytest.mark.parametrize(("currency", "units", "amount"), [
    ("jpy", 1234, Decimal("1234")), ("usd", 1234, Decimal("12.34")),
    ("kwd", 1230, Decimal("1.230")), ("bhd", 5, Decimal("0.005")),
])
def test_minor_units_follow_each_currency(currency: str, units: int, amount: Decimal) -> None:
    inv = mapping.invoice(sample(
        "invoice", currency=currency, total=units, subtotal=units, amount_due=units,
        amount_remaining=units, total_excluding_tax=units,
        lines={"object": "list", "data": [{"amount": units, "currency": currency}],
               "has_more": False, "url": "/v1/invoices/in_1/lines"}), "stripe")
    assert isinstance(inv, Invoice)
    assert (inv.total, inv.currency) == (amount, currency.upper())
    assert inv.total.as_tuple().exponent == -{"jpy": 0, "usd": 2, "kwd": 3, "bhd": 3}[currency]


def test_invoice_status_discounts_tax_and_credit_notes() -> None:
    lines = {"object": "list", "has_more": False, "url": "/v1/invoices/in_9/lines",
             "data": [{"amount": 10000, "quantity": 2, "unit_amount_decimal": "5000"}]}
    inv = mapping.invoice(sample(
        "invoice", id="in_9", number="INV-9", status="open", lines=lines,
        subtotal=10000, total_discount_amounts=[{"amount": 1000, "discount": "di_1"}],
        total=9900, amount_due=8900, amount_paid=4000, amount_remaining=4900, due_date=DAY,
        effective_at=DAY - 30 * 86400, collection_method="send_invoice"), "stripe")
    assert isinstance(inv, Invoice)
    # 100.00 of lines, a 10.00 discount, 9.00 tax; 40.00 paid, 10.00 credited, 49.00 due
    assert [(ln.description, ln.amount) for ln in inv.lines] == [
        ("", Decimal("100.00")), ("Discount", Decimal("-10.00"))]
    assert inv.lines[0].unit_price == Decimal("50.00")
    assert (inv.subtotal, inv.tax, inv.total) == (Decimal("90.00"), Decimal("9.00"),
                                                  Decimal("99.00"))
    assert (inv.amount_paid, inv.credited, inv.balance) == (
        Decimal("40.00"), Decimal("10.00"), Decimal("49.00"))
    assert inv.status is InvoiceStatus.PARTIALLY_PAID and inv.terms == "Net 30"


def test_an_invoice_paid_out_of_band_is_paid_not_credited() -> None:
    inv = mapping.invoice(sample("invoice", status="paid", amount_paid=0, amount_remaining=0),
                          "stripe")
    assert isinstance(inv, Invoice)
    assert (inv.amount_paid, inv.credited, inv.balance, inv.status) == (
        Decimal("10.00"), Decimal("0.00"), Decimal("0.00"), InvoiceStatus.PAID)


def test_an_invoice_with_more_lines_than_embedded_needs_its_full_line_list() -> None:
    obj = sample("invoice", status="open")
    obj["lines"]["has_more"] = True
    result = mapping.mapped("invoice", mapping.invoice, obj, "stripe")
    assert isinstance(result, RecordRejected)
    assert "/v1/invoices/{id}/lines" in result.reason
    full = [{"amount": 400}, {"amount": 600}]
    inv = mapping.mapped("invoice", mapping.invoice, obj, "stripe", full)
    assert isinstance(inv, Invoice) and [ln.amount for ln in inv.lines] == [
        Decimal("4.00"), Decimal("6.00")]


def test_payout_keeps_what_it_settled_and_leaves_out_its_own_transfer() -> None:
    txns = [
        sample("balance_transaction", id="txn_p", type="payout", amount=-9330, fee=0, net=-9330),
        sample("balance_transaction", id="txn_c1", type="charge", source="ch_1",
               amount=10000, fee=320, net=9680),
        sample("balance_transaction", id="txn_r1", type="refund", source="re_1",
               amount=-350, fee=0, net=-350),
    ]
    out = mapping.payout(sample("payout", amount=9330, arrival_date=DAY, status="paid"),
                         "stripe", txns)
    assert isinstance(out, Payout)
    assert [t.ref for t in out.transactions] == ["txn_c1", "txn_r1"]
    assert (out.gross, out.fees, out.refunds, out.other) == (
        Decimal("100.00"), Decimal("3.20"), Decimal("3.50"), Decimal("0.00"))
    assert (out.arrival_date, out.statement_descriptor) == (date(2026, 3, 4), "STRIPE PAYOUT")


@pytest.mark.parametrize(("kind", "changes", "reason"), [
    ("invoice", {"total": 10.5}, "total is 10.5; Stripe amounts are integers"),
    ("invoice", {"total": "1000"}, "total is '1000'"),
    ("invoice", {"status": "pending"}, "status 'pending' is not an invoice status"),
    ("invoice", {"currency": "xx1"}, "currency 'xx1' is not an ISO 4217 code"),
    ("invoice", {"amount_paid": 900, "amount_remaining": 900},
     "do not fit in the amount due 1000 of the total 1000"),
    ("refund", {"created": "yesterday"}, "created is 'yesterday', not a Unix timestamp"),
    ("refund", {"amount": 0}, "amount must be positive"),
    ("payout", {"amount": True}, "amount is True"),
])
def test_a_malformed_object_is_rejected_with_its_raw_content_and_a_reason(
    kind: str, changes: dict[str, Any], reason: str
) -> None:
    build = {"invoice": mapping.invoice, "refund": mapping.refund, "payout": mapping.payout}[kind]
    obj = sample(kind, **changes)
    result = mapping.mapped(kind, build, obj, "stripe")
    assert isinstance(result, RecordRejected)
    assert reason in result.reason
    assert result.raw == obj and result.external_id == obj["id"]
    assert result.location == f"stripe {obj['object']} {obj['id']}"
