"""The canonical model: what a coordinator would want checked, with errors that
name the field and the value."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hub.models import (
    ENTITY_MODELS,
    BankTransaction,
    CanonicalRecord,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentApplication,
)
from hub.money import MAX_MINOR_UNITS, from_minor_units, to_minor_units

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
    assert set(ENTITY_MODELS) == {"customer", "invoice", "payment", "bank_transaction",
                                  "refund", "credit_note", "payout", "reply", "dispute",
                                  "promise"}
    for model in ENTITY_MODELS.values():
        assert {"source", "external_id", "source_modified", "raw"} <= set(model.model_fields)
        assert model.__doc__
    inv = invoice(total=Decimal("1.00"), raw={"Amount": "1.00"})
    assert inv.raw == {"Amount": "1.00"} and "raw" not in inv.model_dump(exclude={"raw"})


# --- invoices: arithmetic at each currency's precision ------------------------------------

cents = st.integers(min_value=0, max_value=10**12)


@settings(max_examples=150, deadline=None)
@given(currency=st.sampled_from(["USD", "JPY", "KWD", "BHD", "CLF", "EUR"]),
       lines=st.lists(cents, min_size=1, max_size=6), tax=cents, paid=cents)
def test_invoice_totals_follow_the_lines_in_every_precision(
    currency: str, lines: list[int], tax: int, paid: int
) -> None:
    def m(units: int) -> str:
        return str(from_minor_units(units, currency))

    total = sum(lines) + tax
    paid = min(paid, total)
    inv = invoice(currency=currency, lines=[{"amount": m(u)} for u in lines], tax=m(tax),
                  amount_paid=m(paid))
    assert inv.subtotal is not None and inv.total is not None and inv.balance is not None
    assert to_minor_units(inv.subtotal, currency) == sum(lines)
    assert to_minor_units(inv.total, currency) == total
    assert to_minor_units(inv.balance, currency) == total - paid
    # the same figures stated explicitly are accepted, and one minor unit off is not
    assert invoice(currency=currency, lines=[{"amount": m(u)} for u in lines], tax=m(tax),
                   total=m(total), amount_paid=m(paid), balance=m(total - paid)) == inv
    with pytest.raises(ValidationError, match=re.escape(f"but total is {m(total + 1)} {currency}")):
        invoice(currency=currency, lines=[{"amount": m(u)} for u in lines], tax=m(tax),
                total=m(total + 1))
    wrong = re.escape(f"lines add up to {m(sum(lines))} {currency}")
    with pytest.raises(ValidationError, match=wrong):
        invoice(currency=currency, lines=[{"amount": m(u)} for u in lines],
                subtotal=m(sum(lines) - 1))


@pytest.mark.parametrize(("field", "value"), [("tax", "0.125"), ("subtotal", "1.001"),
                                              ("amount_paid", "0.001"), ("credited", "0.015"),
                                              ("balance", "1.234")])
def test_every_invoice_amount_is_checked_against_the_currency(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(total=Decimal("10.00"), **{field: Decimal(value)})
    assert f"{field}: {value} has more decimal places than USD allows (2)" in error_text(exc)


def test_line_amounts_finer_than_the_currency_name_the_line() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(currency="JPY", lines=[{"amount": "100"}, {"amount": "1.5"}])
    assert "lines[1].amount: 1.5 has more decimal places than JPY allows (0)" in error_text(exc)


def test_amounts_the_store_cannot_hold_are_refused_not_crashed_on() -> None:
    largest = from_minor_units(MAX_MINOR_UNITS, "USD")
    assert invoice(total=largest).balance == largest
    with pytest.raises(ValidationError) as exc:
        invoice(total=largest + Decimal("0.01"))
    assert "total 92233720368547758.08 USD is too large" in error_text(exc)
    with pytest.raises(ValidationError, match=r"subtotal \d+\.\d+ USD is too large"):
        invoice(lines=[{"amount": str(largest)}, {"amount": "0.01"}])
    with pytest.raises(ValidationError, match=re.escape("amount 1E+30 USD is too large")):
        payment(amount=Decimal("1E+30"))


def test_paid_and_credited_cannot_be_negative() -> None:
    with pytest.raises(ValidationError) as exc:
        invoice(total=Decimal("10.00"), amount_paid=Decimal("-1.00"))
    assert "amount_paid cannot be negative, got -1.00 USD" in error_text(exc)
    with pytest.raises(ValidationError) as exc:
        invoice(total=Decimal("10.00"), credited=Decimal("-5.00"))
    assert "credited cannot be negative, got -5.00 USD" in error_text(exc)


def test_an_overpaid_invoice_keeps_a_negative_balance_for_the_reconciler() -> None:
    inv = invoice(total=Decimal("10.00"), amount_paid=Decimal("12.00"))
    assert inv.balance == Decimal("-2.00")


def test_a_void_invoice_may_keep_its_balance_as_the_source_said() -> None:
    inv = invoice(total=Decimal("10.00"), balance=Decimal("0.00"), status="void")
    assert inv.status is InvoiceStatus.VOID and inv.balance == 0
    with pytest.raises(ValidationError, match="does not equal total"):
        invoice(total=Decimal("10.00"), balance=Decimal("0.00"), status="open")


def test_invoice_dates_terms_and_status() -> None:
    inv = invoice(total=Decimal("5.00"), issue_date="2026-03-01", due_date="2026-03-31",
                  terms="Net 30", status="partially_paid")
    assert (inv.issue_date, inv.due_date) == (date(2026, 3, 1), date(2026, 3, 31))
    assert inv.terms == "Net 30" and inv.status is InvoiceStatus.PARTIALLY_PAID
    for field, value in (("issue_date", "2026-02-30"), ("due_date", "31/03/2026"),
                         ("status", "closed")):
        with pytest.raises(ValidationError) as exc:
            invoice(total=Decimal("5.00"), **{field: value})
        (error,) = exc.value.errors()
        assert error["loc"] == (field,) and error["input"] == value
    with pytest.raises(ValidationError, match="no lines to derive it from"):
        invoice()


def test_parts_built_on_their_own_cannot_smuggle_a_float_in() -> None:
    with pytest.raises(ValidationError, match=re.escape("amount is the float 0.1")):
        InvoiceLine(amount=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=re.escape("unit_price is the float 9.99")):
        InvoiceLine(amount=Decimal("9.99"), unit_price=9.99)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=re.escape("amount is the float 10.0")):
        PaymentApplication(invoice_number="INV-1", amount=10.0)  # type: ignore[arg-type]
    line = InvoiceLine(amount=Decimal("0.10"))
    assert invoice(lines=[line, line]).total == Decimal("0.20")
    app = PaymentApplication(invoice_number="INV-1", amount=Decimal("30.00"))
    assert payment(applications=[app]).unapplied == Decimal("70.00")


def test_a_record_survives_its_own_json_exactly() -> None:
    inv = invoice(lines=[{"amount": "1.50", "quantity": "3", "unit_price": "0.50"}],
                  tax=Decimal("0.12"), raw={"Amount": 1.62})
    text = inv.model_dump_json()
    assert '"total":"1.62"' in text  # amounts as strings, never JSON numbers
    assert Invoice.model_validate_json(text) == inv
    pay = payment(applications=[{"invoice_number": "INV-1", "amount": "60.00"}])
    assert Payment.model_validate_json(pay.model_dump_json()) == pay


# --- payments ---------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(currency=st.sampled_from(["USD", "JPY", "KWD"]),
       applied=st.lists(st.integers(min_value=1, max_value=10**9), max_size=5),
       left=st.integers(min_value=0, max_value=10**9))
def test_payment_unapplied_is_what_the_applications_leave(
    currency: str, applied: list[int], left: int
) -> None:
    def m(units: int) -> str:
        return str(from_minor_units(units, currency))

    amount = sum(applied) + left
    assume(amount > 0)
    apps = [{"invoice_ref": str(i), "amount": m(u)} for i, u in enumerate(applied)]
    pay = payment(currency=currency, amount=m(amount), applications=apps)
    assert pay.unapplied is not None
    assert to_minor_units(pay.unapplied, currency) == left
    assert to_minor_units(pay.applied, currency) == sum(applied)
    if applied:
        apps[0]["amount"] = m(applied[0] + left + 1)  # one minor unit more than the payment
        with pytest.raises(ValidationError, match="more than the payment's"):
            payment(currency=currency, amount=m(amount), applications=apps)


def test_payment_refunds_fit_within_the_payment() -> None:
    assert payment(refunded=Decimal("100.00")).refunded == Decimal("100.00")
    for bad in ("100.01", "-1.00"):
        with pytest.raises(ValidationError) as exc:
            payment(refunded=Decimal(bad))
        assert f"refunded must be between 0 and the payment's 100.00 USD, got {bad} USD" in (
            error_text(exc))
    with pytest.raises(ValidationError, match=re.escape("refunded: 0.001 has more decimal places")):
        payment(refunded=Decimal("0.001"))


def test_payment_amounts_follow_the_currency() -> None:
    with pytest.raises(ValidationError) as exc:
        payment(currency="JPY", amount=Decimal("1.5"))
    assert "amount: 1.5 has more decimal places than JPY allows (0)" in error_text(exc)
    with pytest.raises(ValidationError) as exc:
        payment(applications=[{"invoice_number": "INV-1", "amount": "10.005"}])
    assert "applications[0].amount: 10.005 has more decimal places" in error_text(exc)
    with pytest.raises(ValidationError) as exc:
        payment(applications=[{"invoice_number": "INV-1", "amount": "0"}])
    assert "an applied amount must be positive, got 0" in error_text(exc)
    assert payment(currency="bhd", amount=Decimal("1.250")).currency == "BHD"


# --- customers and bank lines -----------------------------------------------------------


def test_customers() -> None:
    cust = Customer.model_validate({**BASE, "name": "Acme", "currency": "chf",
                                    "metadata": {"quickbooks_id": "58"}})
    assert cust.currency == "CHF" and cust.metadata == {"quickbooks_id": "58"}
    with pytest.raises(ValidationError) as exc:
        Customer.model_validate({**BASE, "name": "Acme", "currency": "Swiss francs"})
    assert exc.value.errors()[0]["loc"] == ("currency",)
    assert "unknown currency 'Swiss francs'" in error_text(exc)
    with pytest.raises(ValidationError) as exc:
        Customer.model_validate({**BASE, "name": "Acme", "metadata": {"quickbooks_id": 58}})
    assert exc.value.errors()[0]["loc"] == ("metadata", "quickbooks_id")
    with pytest.raises(ValidationError) as exc:
        Customer.model_validate({"source": "books", "name": "Acme"})
    assert exc.value.errors()[0]["loc"] == ("external_id",)


def test_bank_lines_are_checked_like_any_amount() -> None:
    def line(**fields: Any) -> BankTransaction:
        return BankTransaction.model_validate({**BASE, "booked_date": date(2026, 3, 1),
                                               "currency": "USD", **fields})

    assert line(amount=Decimal("250.00")).is_deposit
    assert not line(amount=Decimal("-250.00")).is_deposit
    with pytest.raises(ValidationError, match=re.escape("amount: 1.005 has more decimal places")):
        line(amount=Decimal("1.005"))
    too_fine = re.escape("balance_after: 10.001 has more decimal places")
    with pytest.raises(ValidationError, match=too_fine):
        line(amount=Decimal("1.00"), balance_after=Decimal("10.001"))
    with pytest.raises(ValidationError, match=re.escape("amount is the float 12.5")):
        line(amount=12.5)


@pytest.mark.parametrize("model", [Customer, Invoice, Payment, BankTransaction])
def test_every_record_is_frozen_and_refuses_unknown_fields(model: type[CanonicalRecord]) -> None:
    samples: dict[type[CanonicalRecord], dict[str, Any]] = {
        Customer: {"name": "Acme"},
        Invoice: {"number": "1", "issue_date": "2026-03-01", "currency": "USD", "total": "1.00"},
        Payment: {"amount": "1.00", "currency": "USD", "received_date": "2026-03-01"},
        BankTransaction: {"amount": "1.00", "currency": "USD", "booked_date": "2026-03-01"},
    }
    rec = model.model_validate({**BASE, **samples[model]})
    with pytest.raises(ValidationError, match="frozen"):
        rec.source = "other"
    with pytest.raises(ValidationError) as exc:
        model.model_validate({**BASE, **samples[model], "totl": "1.00"})
    assert exc.value.errors()[0]["loc"] == ("totl",)
    assert exc.value.errors()[0]["type"] == "extra_forbidden"


def test_parts_are_frozen_and_strict_too() -> None:
    line = InvoiceLine(amount=Decimal("1.00"))
    with pytest.raises(ValidationError, match="frozen"):
        line.amount = Decimal("2.00")  # type: ignore[misc]
    with pytest.raises(ValidationError, match="amout"):
        InvoiceLine.model_validate({"amount": "1.00", "amout": "1.00"})
    with pytest.raises(ValidationError, match="invoice_nr"):
        PaymentApplication.model_validate({"invoice_nr": "1", "amount": "1.00"})
