"""Money: minor units by each currency's exponent, exact arithmetic, no floats."""

from __future__ import annotations

import functools
import operator
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from iso4217 import Currency as IsoCurrency

from hub.errors import CurrencyError
from hub.money import (
    Money,
    currency_exponent,
    fits_currency,
    from_minor_units,
    is_currency,
    known_currencies,
    normalize_currency,
    quantize,
    to_minor_units,
)

CURRENCIES = known_currencies()
currencies = st.sampled_from(CURRENCIES)
minor = st.integers(min_value=-(10**15), max_value=10**15)
# Far past the decimal module's default 28 digits: nothing may round silently there either.
huge_minor = st.integers(min_value=-(10**45), max_value=10**45)


def test_the_table_is_the_maintained_one() -> None:
    with_minor_unit = {c.code: c.exponent for c in IsoCurrency if c.exponent is not None}
    assert sorted(with_minor_unit) == CURRENCIES
    assert len(CURRENCIES) > 150
    assert {code: currency_exponent(code) for code in CURRENCIES} == with_minor_unit
    expected = {"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "TND": 3, "CLF": 4}
    assert {code: currency_exponent(code) for code in expected} == expected
    # funds, metals and "no currency" have no minor unit: not invoice currencies
    for code in ("XAU", "XXX", "XDR"):
        assert code not in CURRENCIES
        assert not is_currency(code)


@settings(max_examples=60, deadline=None)
@given(units=minor)
@example(units=0)
@example(units=-1)
@example(units=10**18 + 1)
def test_minor_units_round_trip_in_every_currency(units: int) -> None:
    for currency in CURRENCIES:  # every example in every currency of the table
        exp = currency_exponent(currency)
        amount = from_minor_units(units, currency)
        assert amount.as_tuple().exponent == -exp  # 0 USD is 0.00, 5 JPY is 5
        assert amount == Decimal(units) / Decimal(10) ** exp
        assert fits_currency(amount, currency)
        assert to_minor_units(amount, currency) == units
        assert Money.from_minor(units, currency).minor_units() == units
        # the same amount written with more (zero) digits is the same number of units
        assert to_minor_units(amount.quantize(Decimal("1E-6")), currency) == units


@settings(max_examples=200, deadline=None)
@given(currency=currencies, units=huge_minor)
def test_round_trips_stay_exact_past_28_digits(currency: str, units: int) -> None:
    amount = from_minor_units(units, currency)
    assert to_minor_units(amount, currency) == units
    assert (Money.from_minor(units, currency) + Money.from_minor(1, currency)).minor_units() == (
        units + 1)


def test_a_long_amount_is_never_rounded_into_fitting() -> None:
    # 29 significant digits: the default decimal context would round ...785 to ...78|5 -> 8
    with pytest.raises(CurrencyError, match="more decimal places"):
        to_minor_units(Decimal("12345678901234567890123456.785"), "USD")
    assert to_minor_units(Decimal("12345678901234567890123456789.78"), "USD") == (
        1234567890123456789012345678978)


@settings(max_examples=300, deadline=None)
@given(currency=currencies, units=minor, extra=st.integers(min_value=1, max_value=9),
       places=st.integers(min_value=1, max_value=3))
def test_strict_quantize_refuses_any_digit_the_currency_lacks(
    currency: str, units: int, extra: int, places: int
) -> None:
    exp = currency_exponent(currency)
    # one more nonzero digit, 1 to 3 places past the currency's precision
    amount = from_minor_units(units, currency) + Decimal(extra).scaleb(-(exp + places))
    assert not fits_currency(amount, currency)
    with pytest.raises(CurrencyError, match=f"more decimal places than {currency} allows"):
        quantize(amount, currency)
    with pytest.raises(CurrencyError):
        to_minor_units(amount, currency)
    rounded = quantize(amount, currency, strict=False)
    assert fits_currency(rounded, currency)
    assert abs(rounded - amount) <= Decimal(5).scaleb(-(exp + 1))  # at most half a unit off
    assert quantize(rounded, currency) == rounded


@pytest.mark.parametrize("currency", CURRENCIES)
def test_each_currency_refuses_one_digit_too_many(currency: str) -> None:
    exp = currency_exponent(currency)
    too_fine = Decimal(1).scaleb(-(exp + 1))  # 0.001 USD, 0.1 JPY
    assert not fits_currency(too_fine, currency)
    with pytest.raises(CurrencyError, match="more decimal places"):
        to_minor_units(too_fine, currency)
    assert fits_currency(Decimal("1.5000"), currency) == (exp >= 1)
    assert quantize(Decimal(5).scaleb(-(exp + 1)), currency, strict=False) == 0  # half-even
    assert quantize(Decimal(15).scaleb(-(exp + 1)), currency, strict=False) == (
        Decimal(2).scaleb(-exp))


@settings(max_examples=300, deadline=None)
@given(currency=currencies, a=minor, b=minor, c=minor)
def test_money_arithmetic_is_exact(currency: str, a: int, b: int, c: int) -> None:
    x, y, z = (Money.from_minor(v, currency) for v in (a, b, c))
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert x + y - y == x
    assert x - y == -(y - x)
    assert (-x).__neg__() == x and (-x).amount == -x.amount
    assert (x + y).minor_units() == a + b
    assert (x - y).minor_units() == a - b
    assert (x < y) == (a < b) and (x <= y) == (a <= b)
    assert (x > y) == (a > b) and (x >= y) == (a >= b)


@settings(max_examples=150, deadline=None)
@given(currency=currencies, values=st.lists(minor, max_size=30))
def test_a_sum_of_money_is_the_sum_of_its_minor_units(currency: str, values: list[int]) -> None:
    moneys = [Money.from_minor(v, currency) for v in values]
    total = functools.reduce(operator.add, moneys, Money.zero(currency))
    assert total == sum(moneys, Money.zero(currency))
    assert total.minor_units() == sum(values)
    assert total.currency == currency
    assert total.amount.as_tuple().exponent == -currency_exponent(currency)


@settings(max_examples=100, deadline=None)
@given(pair=st.lists(currencies, min_size=2, max_size=2, unique=True), units=minor)
def test_currencies_never_mix(pair: list[str], units: int) -> None:
    left, right = (Money.from_minor(units, c) for c in pair)
    with pytest.raises(CurrencyError, match=f"cannot combine {pair[0]} with {pair[1]}"):
        left + right
    with pytest.raises(CurrencyError, match="cannot combine"):
        left - right
    for compare in (operator.lt, operator.le, operator.gt, operator.ge):
        with pytest.raises(CurrencyError):
            compare(left, right)
    assert left != right  # equal numbers in two currencies are not equal money


def test_money_does_not_combine_with_plain_numbers() -> None:
    with pytest.raises(TypeError, match="cannot combine Money with Decimal"):
        Money.of("1", "USD") + Decimal(1)  # type: ignore[operator]


@pytest.mark.parametrize("bad", [1.1, 0.0, float("nan")])
def test_floats_are_refused_everywhere(bad: float) -> None:
    with pytest.raises(CurrencyError, match="float"):
        Money.of(bad, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="Decimal"):
        Money(bad, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="integer"):
        from_minor_units(bad, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="float"):
        to_minor_units(bad, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="float"):
        quantize(bad, "USD")  # type: ignore[arg-type]
    assert not fits_currency(bad, "USD")  # type: ignore[arg-type]


def test_other_non_amounts_are_explained() -> None:
    with pytest.raises(CurrencyError, match="bool"):
        Money.of(True, "USD")
    with pytest.raises(CurrencyError, match="integer"):
        from_minor_units(True, "USD")
    with pytest.raises(CurrencyError, match="'12,30' is not an amount"):
        Money.of("12,30", "USD")
    with pytest.raises(CurrencyError, match="finite"):
        Money(Decimal("Infinity"), "USD")
    for special in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(CurrencyError, match="not an amount"):
            to_minor_units(Decimal(special), "USD")
    assert to_minor_units(7, "USD") == 700  # an int is exact
    assert Money.of(" 12.30 ", "usd") == Money(Decimal("12.3"), "USD")


@settings(max_examples=100, deadline=None)
@given(currency=currencies, pad=st.sampled_from(["", " ", "\t", "  "]))
def test_currency_codes_in_any_case_are_normalised(currency: str, pad: str) -> None:
    for written in (currency.lower(), currency.title(), f"{pad}{currency}{pad}"):
        assert normalize_currency(written) == currency
        assert is_currency(written)
        assert Money.of("1", written).currency == currency
        assert currency_exponent(written) == currency_exponent(currency)


@settings(max_examples=100, deadline=None)
@given(code=st.text(alphabet=st.characters(min_codepoint=65, max_codepoint=90), min_size=1,
                    max_size=5).filter(lambda c: c not in CURRENCIES))
def test_unknown_codes_are_explained(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(CurrencyError, match=f"unknown currency '{code}'") as info:
        normalize_currency(code)
    assert "ISO 4217" in str(info.value) and info.value.hint
    with pytest.raises(CurrencyError, match="unknown currency"):
        Money.of("1", code)


def test_non_string_codes_are_explained() -> None:
    assert not is_currency(840)  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="3-letter ISO 4217 code, got 840"):
        normalize_currency(840)  # type: ignore[arg-type]


def test_display_uses_the_currency_precision() -> None:
    assert str(Money.of("1234.5", "USD")) == "1,234.50 USD"
    assert str(Money.of("1234", "JPY")) == "1,234 JPY"
    assert str(Money.of("1.5", "KWD")) == "1.500 KWD"
    assert str(Money.of("-1234.5", "USD")) == "-1,234.50 USD"
    assert str(Money(Decimal("-0.00"), "USD")) == "0.00 USD"  # never "-0.00"
    assert str(Money(Decimal("-0.001"), "USD")) == "0.00 USD"
    assert str(-Money.zero("USD")) == "0.00 USD"
