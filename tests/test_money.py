"""Money: minor units by each currency's exponent, exact arithmetic, no floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.errors import CurrencyError
from hub.money import (
    Money,
    currency_exponent,
    fits_currency,
    from_minor_units,
    known_currencies,
    normalize_currency,
    quantize,
    to_minor_units,
)

CURRENCIES = known_currencies()
currencies = st.sampled_from(CURRENCIES)
minor = st.integers(min_value=-(10**15), max_value=10**15)


def test_the_table_is_the_maintained_one() -> None:
    assert len(CURRENCIES) > 150
    expected = {"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "TND": 3, "CLF": 4}
    assert {code: currency_exponent(code) for code in expected} == expected
    # funds, metals and "no currency" have no minor unit: not invoice currencies
    for code in ("XAU", "XXX", "XDR"):
        assert code not in CURRENCIES


@settings(max_examples=300, deadline=None)
@given(currency=currencies, units=minor)
def test_minor_units_round_trip_in_every_currency(currency: str, units: int) -> None:
    amount = from_minor_units(units, currency)
    assert amount.as_tuple().exponent == -currency_exponent(currency)
    assert to_minor_units(amount, currency) == units
    assert Money.from_minor(units, currency).minor_units() == units


@pytest.mark.parametrize("currency", CURRENCIES)
def test_each_currency_refuses_one_digit_too_many(currency: str) -> None:
    exp = currency_exponent(currency)
    too_fine = Decimal(1).scaleb(-(exp + 1))  # 0.001 USD, 0.1 JPY
    assert not fits_currency(too_fine, currency)
    with pytest.raises(CurrencyError, match="more decimal places"):
        to_minor_units(too_fine, currency)
    assert fits_currency(Decimal("1.5000"), currency) == (exp >= 1)
    assert quantize(Decimal(5).scaleb(-(exp + 1)), currency, strict=False) == 0  # half-even


@settings(max_examples=300, deadline=None)
@given(currency=currencies, a=minor, b=minor, c=minor)
def test_money_arithmetic_is_exact(currency: str, a: int, b: int, c: int) -> None:
    x, y, z = (Money.from_minor(v, currency) for v in (a, b, c))
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert x + y - y == x
    assert x.__neg__().__neg__() == x
    assert (x + y).minor_units() == a + b
    assert (x < y) == (a < b)


@settings(max_examples=100, deadline=None)
@given(pair=st.lists(currencies, min_size=2, max_size=2, unique=True), units=minor)
def test_currencies_never_mix(pair: list[str], units: int) -> None:
    left, right = (Money.from_minor(units, c) for c in pair)
    with pytest.raises(CurrencyError, match="cannot combine"):
        left + right
    with pytest.raises(CurrencyError):
        _ = left < right


def test_floats_are_refused() -> None:
    with pytest.raises(CurrencyError, match="float"):
        Money.of(1.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="Decimal"):
        Money(1.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="integer"):
        from_minor_units(1.0, "USD")  # type: ignore[arg-type]


def test_currency_codes_are_normalised_or_explained() -> None:
    assert normalize_currency(" usd ") == "USD"
    assert Money.of("12.30", "eur").currency == "EUR"
    with pytest.raises(CurrencyError, match="unknown currency 'EURO'") as info:
        normalize_currency("EURO")
    assert "ISO 4217" in str(info.value)


def test_display_uses_the_currency_precision() -> None:
    assert str(Money.of("1234.5", "USD")) == "1,234.50 USD"
    assert str(Money.of("1234", "JPY")) == "1,234 JPY"
    assert str(Money.of("1.5", "KWD")) == "1.500 KWD"
