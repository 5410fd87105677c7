"""The validators' fast paths decide exactly what the plain checks decide.

``Invoice._amounts_add_up`` checks all six amounts and the lines at once with
``all_exact`` and only goes through ``check_precision`` field by field when
something is off; ``CanonicalRecord._no_floats`` skips plain values by their
exact type. Here each is compared with the plain version it replaced (kept
below as the reference): the same records accepted with the same derived
amounts, the same errors with the same messages.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError, model_validator

from hub.models import Invoice, InvoiceStatus
from hub.models.base import (
    _FLOAT_OR_NESTED,
    _refuse_float,
    all_exact,
    check_precision,
    check_same_currency,
    check_size,
)

CURRENCIES = ["USD", "JPY", "BHD", "CLF", "EUR"]


class ReferenceInvoice(Invoice):
    """Invoice with its validators as they were before their fast paths."""

    @model_validator(mode="before")
    @classmethod
    def _no_floats(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if isinstance(value, _FLOAT_OR_NESTED) and name != "raw":
                    _refuse_float(name, value)
        return data

    @model_validator(mode="after")
    def _amounts_add_up(self) -> ReferenceInvoice:
        cur = self.currency
        for i, line in enumerate(self.lines):
            check_precision("invoice", f"lines[{i}].amount", line.amount, cur)
            check_same_currency(f"lines[{i}].currency", line.currency, cur)
        for name in ("subtotal", "tax", "total", "amount_paid", "credited", "balance"):
            check_precision("invoice", name, getattr(self, name), cur)
        lines_sum = sum((line.amount for line in self.lines), Decimal(0)) if self.lines else None
        subtotal = self.subtotal
        if subtotal is None:
            if lines_sum is not None:
                subtotal = lines_sum
            elif self.total is not None:
                subtotal = self.total - self.tax
            else:
                raise ValueError("total is missing, and there are no lines to derive it from")
        elif lines_sum is not None and lines_sum != subtotal:
            raise ValueError(
                f"lines add up to {lines_sum} {cur} but subtotal is {subtotal} {cur}")
        total = self.total if self.total is not None else subtotal + self.tax
        if subtotal + self.tax != total:
            raise ValueError(
                f"subtotal {subtotal} + tax {self.tax} = {subtotal + self.tax} {cur}, "
                f"but total is {total} {cur}")
        for name in ("amount_paid", "credited"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative, got {getattr(self, name)} {cur}")
        balance = self.balance
        if balance is None:
            balance = total - self.amount_paid - self.credited
        elif self.status is not InvoiceStatus.VOID and (
            self.amount_paid + self.credited + balance != total
        ):
            raise ValueError(
                f"amount_paid {self.amount_paid} + credited {self.credited} + balance {balance}"
                f" does not equal total {total} {cur}")
        for name, value in (("subtotal", subtotal), ("total", total), ("balance", balance)):
            check_size(name, value, cur)
        object.__setattr__(self, "subtotal", subtotal)
        object.__setattr__(self, "total", total)
        object.__setattr__(self, "balance", balance)
        return self


def _outcome(model: type[Invoice], values: dict[str, Any]) -> Any:
    """The validated fields as text, or the errors (location, message, type)."""
    try:
        inv = model.model_validate(values)
    except ValidationError as exc:
        return [(e["loc"], e["msg"], e["type"]) for e in exc.errors()]
    return inv.model_dump_json()


amounts = st.one_of(
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6,
                max_value=10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**3,
                max_value=10**3),
    st.sampled_from([Decimal("0"), Decimal("-0"), Decimal("1.000"), Decimal("1E+3"),
                     Decimal("0.005"), Decimal("12.345"), Decimal("1E+20"), Decimal("9E+15"),
                     Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"),
                     Decimal("92233720368547758.07"), Decimal("92233720368547758.08")]),
)


@settings(max_examples=400, deadline=None)
@given(currency=st.sampled_from(CURRENCIES), subtotal=amounts, tax=amounts, total=amounts,
       paid=amounts, credited=amounts, balance=amounts,
       status=st.sampled_from(list(InvoiceStatus)),
       lines=st.lists(st.tuples(amounts, st.sampled_from([None, "USD", "JPY"])), max_size=2))
def test_invoice_amounts_are_judged_as_before(
    currency: str, subtotal: Decimal | None, tax: Decimal | None, total: Decimal | None,
    paid: Decimal | None, credited: Decimal | None, balance: Decimal | None,
    status: InvoiceStatus, lines: list[tuple[Decimal | None, str | None]],
) -> None:
    values: dict[str, Any] = {
        "source": "books", "external_id": "INV-1", "number": "INV-1",
        "issue_date": date(2026, 1, 2), "currency": currency, "status": status,
        "subtotal": subtotal, "total": total, "balance": balance,
        "lines": [{"amount": a, "currency": c} for a, c in lines if a is not None],
    }
    for name, value in (("tax", tax), ("amount_paid", paid), ("credited", credited)):
        if value is not None:
            values[name] = value
    assert _outcome(Invoice, values) == _outcome(ReferenceInvoice, values)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(amounts, max_size=6), currency=st.sampled_from([*CURRENCIES, "XXX"]))
def test_all_exact_only_vouches_for_what_check_precision_passes(
    values: list[Decimal | None], currency: str
) -> None:
    if all_exact(values, currency):
        for value in values:
            check_precision("invoice", "x", value, currency)  # raises nothing


class Text(str):
    pass


@pytest.mark.parametrize("extra", [
    {}, {"memo": 0.1}, {"metadata": {"a": 0.5}}, {"metadata": {"a": "x"}},
    {"raw": {"x": 0.1}}, {"lines": [{"amount": 0.25}]}, {"lines": []},
    {"memo": Text("fine")}, {"total": True}, {"metadata": {"n": [1, 2.5]}},
])
def test_floats_are_refused_as_before(extra: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "source": "books", "external_id": "INV-1", "number": "INV-1",
        "issue_date": date(2026, 1, 2), "currency": "USD", "total": Decimal("1.00"),
        "raw": {"a": "b"}, **extra,
    }
    assert _outcome(Invoice, values) == _outcome(ReferenceInvoice, values)
