"""Refunds, credit notes and payouts: the records that explain money after the invoice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from hub.models import CreditNote, Payout, PayoutTransaction, Refund
from hub.store.records import prepare

BASE: dict[str, Any] = {"source": "stripe", "external_id": "x_1"}


def txn(ref: str, kind: str, gross: str, fee: str = "0") -> dict[str, Any]:
    g, f = Decimal(gross), Decimal(fee)
    return {"ref": ref, "kind": kind, "gross": g, "fee": f, "net": g - f}


def test_payout_explains_a_deposit_as_gross_minus_fees_minus_refunds() -> None:
    payout = Payout.model_validate({
        **BASE, "amount": Decimal("1906.60"), "currency": "usd",
        "arrival_date": date(2026, 3, 4), "status": "paid",
        "transactions": [
            txn("txn_1", "charge", "1000.00", "29.30"),
            txn("txn_2", "charge", "1000.00", "29.30"),
            txn("txn_3", "refund", "-50.00"),
            txn("txn_4", "adjustment", "15.20"),
        ],
    })
    assert payout.currency == "USD"
    assert (payout.gross, payout.fees, payout.refunds, payout.other) == (
        Decimal("2000.00"), Decimal("58.60"), Decimal("50.00"), Decimal("15.20"))
    assert payout.gross - payout.fees - payout.refunds + payout.other == payout.amount


def test_a_payout_whose_transactions_do_not_add_up_is_refused_with_both_figures() -> None:
    with pytest.raises(ValidationError, match=r"settle 970.70 USD but the payout is 1000.00 USD"):
        Payout.model_validate({
            **BASE, "amount": Decimal("1000.00"), "currency": "USD",
            "arrival_date": date(2026, 3, 4), "status": "paid",
            "transactions": [txn("txn_1", "charge", "1000.00", "29.30")],
        })


def test_a_transaction_whose_net_is_not_gross_minus_fee_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"fee 1\.00 is 9\.00, but net is 9\.50"):
        PayoutTransaction(ref="txn_9", kind="charge", gross=Decimal("10.00"),
                          fee=Decimal("1.00"), net=Decimal("9.50"))


def test_manual_payout_without_transactions_and_stripe_fee_lines() -> None:
    manual = Payout.model_validate({**BASE, "amount": Decimal("500"), "currency": "JPY",
                                    "arrival_date": date(2026, 1, 2), "status": "paid",
                                    "automatic": False})
    assert (manual.gross, manual.fees, manual.other) == (0, 0, Decimal("500"))
    billed = Payout.model_validate({
        **BASE, "amount": Decimal("90.000"), "currency": "KWD",
        "arrival_date": date(2026, 1, 2), "status": "paid",
        "transactions": [txn("txn_1", "charge", "100.000"), txn("txn_2", "stripe_fee", "-10.000")],
    })
    assert (billed.gross, billed.fees, billed.other) == (Decimal("100.000"), Decimal("10.000"), 0)
    with pytest.raises(ValidationError, match=r"transactions\[0\].gross: 1.5 has more decimal"):
        Payout.model_validate({**BASE, "amount": Decimal("1"), "currency": "JPY",
                               "arrival_date": date(2026, 1, 2), "status": "paid",
                               "transactions": [txn("t", "charge", "1.5", "0.5")]})


def test_refund_is_positive_and_exact() -> None:
    refund = Refund.model_validate({**BASE, "amount": Decimal("12.50"), "currency": "eur",
                                    "refunded_date": date(2026, 2, 1), "payment_ref": "ch_1"})
    assert (refund.currency, refund.status) == ("EUR", "succeeded")
    with pytest.raises(ValidationError, match="amount must be positive"):
        Refund.model_validate({**BASE, "amount": Decimal("0"), "currency": "EUR",
                               "refunded_date": date(2026, 2, 1)})
    with pytest.raises(ValidationError, match="amount"):
        Refund.model_validate({**BASE, "amount": Decimal("1.234"), "currency": "EUR",
                               "refunded_date": date(2026, 2, 1)})


def test_credit_note_checks_its_amounts_and_currency() -> None:
    note = CreditNote.model_validate({
        **BASE, "number": "CN-1", "invoice_ref": "in_1", "issue_date": date(2026, 2, 1),
        "currency": "usd", "total": Decimal("16.90"), "tax": Decimal("1.90"),
        "lines": [{"amount": Decimal("11.90")}, {"amount": Decimal("5.00")}]})
    assert note.status == "issued" and len(note.lines) == 2
    with pytest.raises(ValidationError, match="tax must be between 0 and the total"):
        CreditNote.model_validate({**BASE, "number": "CN-2", "issue_date": date(2026, 2, 1),
                                   "currency": "USD", "total": Decimal("1"), "tax": Decimal("2")})
    with pytest.raises(ValidationError, match="one document cannot mix currencies"):
        CreditNote.model_validate({**BASE, "number": "CN-3", "issue_date": date(2026, 2, 1),
                                   "currency": "USD", "total": Decimal("1"),
                                   "lines": [{"amount": Decimal("1"), "currency": "EUR"}]})


def test_the_store_keeps_their_amounts_in_minor_units() -> None:
    payout = Payout.model_validate({**BASE, "amount": Decimal("12.345"), "currency": "BHD",
                                    "arrival_date": date(2026, 1, 2), "status": "in_transit",
                                    "statement_descriptor": "STRIPE PAYOUT"})
    row = prepare(payout)
    assert (row.number, row.currency, row.amount_minor, row.status, row.doc_date) == (
        "STRIPE PAYOUT", "BHD", 12345, "in_transit", date(2026, 1, 2))
    refund = prepare(Refund.model_validate({**BASE, "amount": Decimal("700"), "currency": "JPY",
                                            "refunded_date": date(2026, 2, 1)}))
    assert (refund.amount_minor, refund.currency) == (700, "JPY")


def _jpy_payment(**changes: Any) -> dict[str, Any]:
    return {**BASE, "external_id": "ch_jpy", "amount": Decimal("16000"), "currency": "jpy",
            "received_date": date(2026, 3, 2),
            "settlement": {"currency": "usd", "amount": Decimal("100.00"),
                           "fee": Decimal("3.20"), "net": Decimal("96.80"),
                           "exchange_rate": Decimal("0.00625")}, **changes}


def test_a_payment_settled_in_another_currency_keeps_its_fee_in_that_currency() -> None:
    from hub.models import Payment

    pay = Payment.model_validate(_jpy_payment())
    assert (pay.currency, pay.amount, pay.fee) == ("JPY", Decimal("16000"), None)
    assert pay.settlement is not None and pay.settlement_currency == "USD"
    assert (pay.settlement.fee, pay.settlement.net, pay.settlement.exchange_rate) == (
        Decimal("3.20"), Decimal("96.80"), Decimal("0.00625"))
    with pytest.raises(ValidationError, match=r"fee 320 is given in the payment's JPY, but "
                                              r"the processor settled it in USD"):
        Payment.model_validate(_jpy_payment(fee=Decimal("320")))
    unrated = _jpy_payment()
    unrated["settlement"] = {**unrated["settlement"], "exchange_rate": None}
    with pytest.raises(ValidationError, match="needs its exchange_rate"):
        Payment.model_validate(unrated)
    bad = _jpy_payment()
    bad["settlement"] = {**bad["settlement"], "fee": Decimal("3.205")}
    with pytest.raises(ValidationError, match=r"settlement.fee: 3.205 has more decimal"):
        Payment.model_validate(bad)


def test_a_payment_settled_in_its_own_currency_takes_the_fee_from_the_settlement() -> None:
    from hub.models import Payment

    same = {**BASE, "amount": Decimal("50.00"), "currency": "USD",
            "received_date": date(2026, 3, 2),
            "settlement": {"currency": "USD", "amount": Decimal("50.00"),
                           "fee": Decimal("1.75"), "net": Decimal("48.25")}}
    assert Payment.model_validate(same).fee == Decimal("1.75")
    with pytest.raises(ValidationError, match=r"fee is 1.00 USD but the settlement's fee"):
        Payment.model_validate({**same, "fee": Decimal("1.00")})
    assert Payment.model_validate({**BASE, "amount": Decimal("5"), "currency": "USD",
                                   "received_date": date(2026, 3, 2),
                                   "fee": Decimal("0.45")}).settlement is None


def test_a_payout_transaction_keeps_the_charge_currency_beside_its_own() -> None:
    payout = Payout.model_validate({
        **BASE, "amount": Decimal("96.80"), "currency": "USD",
        "arrival_date": date(2026, 3, 4), "status": "paid",
        "transactions": [{**txn("txn_1", "charge", "100.00", "3.20"), "source_ref": "ch_jpy",
                          "source_currency": "jpy", "source_amount": Decimal("16000"),
                          "exchange_rate": Decimal("0.00625")}]})
    [line] = payout.transactions
    assert (line.source_currency, line.source_amount, payout.fees) == (
        "JPY", Decimal("16000"), Decimal("3.20"))
    with pytest.raises(ValidationError, match=r"source_amount: 1\.5 has more decimal"):
        PayoutTransaction(ref="t", kind="charge", gross=Decimal(1), net=Decimal(1),
                          source_currency="JPY", source_amount=Decimal("1.5"))
    with pytest.raises(ValidationError, match="go together"):
        PayoutTransaction(ref="t", kind="charge", gross=Decimal(1), net=Decimal(1),
                          source_currency="JPY")
