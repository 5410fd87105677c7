"""The canonical model: what a coordinator would want checked, with errors that
name the field and the value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from hub.models import (
    ENTITY_MODELS,
    BankTransaction,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
)

BASE = {"source": "books", "external_id": "1"}


def invoice(**fields: Any) -> Invoice:
    values: dict[str, Any] = {**BASE, "number": "INV-1", "issue_date": date(2026, 3, 1),
                              "currency": "USD"}
    values.update(fields)
    return Invoice.model_validate(values)


def payment(**fields: Any) -> Payment:
    values: dict[str, Any] = {**BASE, "amount": Decimal("100.00"), "currency": "USD",
                              "received_date": date(2026, 3, 5)}
    values.update(fields)
    return Payment.model_validate(values)


def error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


def test_invoice_derives_subtotal_total_and_balance_from_lines() -> None:
    inv = invoice(lines=[{"description": "Widgets", "quantity": "3", "unit_price": "12.50",
                          "amount": "37.50"}, {"amount": "2.50"}],
                  tax=Decimal("3.20"), amount_paid=Decimal("10.00"))
    assert inv.subtotal == Decimal("40.00")
    assert inv.total == Decimal("43.20")
    assert inv.balance == Decimal("33.20")
    assert inv.status is InvoiceStatus.OPEN


def test_invoice_lines_must_add_up_to_the_subtotal() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(lines=[{"amount": "10.00"}, {"amount": "5.00"}], subtotal=Decimal("16.00"))
    assert "lines add up to 15.00 USD but subtotal is 16.00 USD" in error_text(exc)


def test_invoice_total_must_be_subtotal_plus_tax() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(subtotal=Decimal("100.00"), tax=Decimal("8.00"), total=Decimal("107.00"))
    assert "subtotal 100.00 + tax 8.00 = 108.00 USD, but total is 107.00 USD" in error_text(exc)


def test_invoice_paid_plus_balance_must_be_the_total() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(total=Decimal("100.00"), amount_paid=Decimal("40.00"), balance=Decimal("70.00"))
    assert "does not equal total 100.00 USD" in error_text(exc)
    assert invoice(total=Decimal("100.00"), amount_paid=Decimal("40.00"),
                   credited=Decimal("10.00")).balance == Decimal("50.00")


@pytest.mark.parametrize(("currency", "amount"), [("USD", "1.005"), ("JPY", "1.5"),
                                                  ("KWD", "0.0001")])
def test_amounts_finer_than_the_currency_are_refused(currency: str, amount: str) -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(currency=currency, total=Decimal(amount))
    assert "total" in error_text(exc) and amount in error_text(exc)


def test_three_decimal_and_zero_decimal_currencies_are_exact() -> None:
    assert invoice(currency="KWD", total=Decimal("1.125")).balance == Decimal("1.125")
    assert invoice(currency="jpy", total=Decimal("5000")).currency == "JPY"


def test_lines_cannot_mix_currencies() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(lines=[{"amount": "10.00", "currency": "EUR"}])
    assert "lines[0].currency is in EUR but the document is in USD" in error_text(exc)


def test_unknown_currency_names_the_value() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(currency="DOLLARS", total=Decimal("1.00"))
    assert "currency" in error_text(exc) and "DOLLARS" in error_text(exc)


def test_floats_never_become_money() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(total=0.1)
    assert "total is the float 0.1" in error_text(exc)
    with pytest.raises(ValidationError):
        payment(amount=100.0)
    with pytest.raises(ValidationError) as exc:
        payment(applications=[{"invoice_number": "INV-1", "amount": 10.0}])
    assert "applications[0].amount is the float 10.0" in error_text(exc)


def test_payment_unapplied_is_derived_and_applications_cannot_exceed_it() -> None:
    p = payment(applications=[{"invoice_number": "INV-1", "amount": "60.00"},
                              {"invoice_ref": "42", "amount": "15.50"}])
    assert p.unapplied == Decimal("24.50")
    assert p.applied == Decimal("75.50")
    with pytest.raises(ValidationError) as exc:
        payment(applications=[{"invoice_number": "INV-1", "amount": "60.00"},
                              {"invoice_number": "INV-2", "amount": "40.01"}])
    assert "applications add up to 100.01 USD, more than the payment's 100.00 USD" in (
        error_text(exc))


def test_payment_applications_name_an_invoice_in_the_payment_currency() -> None:
    with pytest.raises(ValidationError) as exc:
        payment(applications=[{"amount": "10.00"}])
    assert "must name the invoice" in error_text(exc)
    with pytest.raises(ValidationError) as exc:
        payment(applications=[{"invoice_number": "INV-1", "amount": "10.00",
                               "currency": "EUR"}])
    assert "applications[0].currency is in EUR" in error_text(exc)
    with pytest.raises(ValidationError) as exc:
        payment(unapplied=Decimal("5.00"))
    assert "unapplied is 5.00 USD" in error_text(exc)


def test_payment_amount_must_be_positive() -> None:
    with pytest.raises(ValidationError) as exc:
        payment(amount=Decimal("-1.00"))
    assert "amount must be positive, got -1.00 USD" in error_text(exc)


def test_records_are_frozen_and_strict_about_fields() -> None:
    cust = Customer.model_validate({**BASE, "name": " Acme "})
    assert cust.name == "Acme"
    with pytest.raises(ValidationError):
        cust.name = "Other"  # type: ignore[misc]
    with pytest.raises(ValidationError) as exc:
        Customer.model_validate({**BASE, "name": "Acme", "nmae": "typo"})
    assert "nmae" in error_text(exc)
    with pytest.raises(ValidationError):
        Customer.model_validate({**BASE, "name": ""})


def test_bank_transactions_are_signed() -> None:
    out = BankTransaction.model_validate({**BASE, "booked_date": date(2026, 3, 1),
                                          "amount": Decimal("-12.50"), "currency": "EUR"})
    assert out.amount == Decimal("-12.50")


def test_every_record_keeps_source_id_and_raw() -> None:
    assert set(ENTITY_MODELS) == {"customer", "invoice", "payment", "bank_transaction"}
    for model in ENTITY_MODELS.values():
        assert {"source", "external_id", "source_modified", "raw"} <= set(model.model_fields)
        assert model.__doc__
    inv = invoice(total=Decimal("1.00"), raw={"Amount": "1.00"})
    assert inv.raw == {"Amount": "1.00"} and "raw" not in inv.model_dump(exclude={"raw"})
