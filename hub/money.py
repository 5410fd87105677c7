"""Money: a ``Decimal`` amount and an ISO 4217 currency, never a float.

The number of minor-unit digits of each currency (JPY 0, USD 2, BHD 3, CLF 4)
comes from the ISO 4217 table shipped by the ``iso4217`` package, which
follows the maintenance agency's published list. Systems that count in minor
units (Stripe's integer cents) and systems that count in decimals (QuickBooks)
meet exactly through :func:`to_minor_units` and :func:`from_minor_units`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from iso4217 import Currency as _IsoCurrency

from hub.errors import CurrencyError

__all__ = [
    "Money",
    "currency_exponent",
    "from_minor_units",
    "is_currency",
    "known_currencies",
    "normalize_currency",
    "quantize",
    "to_minor_units",
]


@functools.cache
def _exponents() -> dict[str, int]:
    table: dict[str, int] = {}
    for cur in _IsoCurrency:
        # Funds, precious metals and the "no currency" code have no minor unit:
        # they are not money a customer is invoiced in.
        if cur.exponent is not None:
            table[cur.code] = int(cur.exponent)
    return table


def known_currencies() -> list[str]:
    """Every ISO 4217 code that has a minor unit, sorted."""
    return sorted(_exponents())


def is_currency(code: str) -> bool:
    """True when ``code`` (any case) is an ISO 4217 currency with a minor unit."""
    return code.upper() in _exponents()


def normalize_currency(code: str) -> str:
    """Return the upper-case ISO code, or raise :class:`CurrencyError`."""
    if not isinstance(code, str):
        raise CurrencyError(f"currency must be a 3-letter ISO 4217 code, got {code!r}")
    if code in _exponents():
        return code
    upper = code.strip().upper()
    if upper not in _exponents():
        raise CurrencyError(
            f"unknown currency {code!r}",
            hint="use a 3-letter ISO 4217 code such as USD, EUR or JPY",
        )
    return upper


def currency_exponent(code: str) -> int:
    """Digits after the decimal point in ``code``: JPY 0, USD 2, BHD 3."""
    exponent = _exponents().get(code)  # the common case: already an upper-case code
    if exponent is not None:
        return exponent
    return _exponents()[normalize_currency(code)]


@functools.cache
def _quantum(code: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(code))


def quantize(amount: Decimal, currency: str, *, strict: bool = True) -> Decimal:
    """Express ``amount`` at ``currency``'s precision.

    With ``strict`` (the default) an amount that has more digits than the
    currency allows is an error rather than being rounded silently: 10.005 USD
    is a data problem a person should see. Without it, rounds half-even.
    """
    q = _quantum(currency.upper() if len(currency) == 3 else normalize_currency(currency))
    try:
        result = amount.quantize(q, rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise CurrencyError(f"{amount} cannot be expressed in {currency}") from exc
    if strict and result != amount:
        raise CurrencyError(
            f"{amount} has more decimal places than {currency.upper()} allows "
            f"({currency_exponent(currency)})"
        )
    return result


def fits_currency(amount: Decimal, currency: str) -> bool:
    """Whether ``amount`` is exact at ``currency``'s precision (12.340 USD is, 12.345 is not)."""
    try:
        return amount.quantize(_quantum(currency)) == amount
    except (InvalidOperation, KeyError, CurrencyError):
        return False


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal('12.34')`` USD -> ``1234``; JPY is already in minor units.

    Raises :class:`CurrencyError` when the amount has sub-minor-unit digits.
    """
    exp = currency_exponent(currency)
    scaled = amount.scaleb(exp)
    if scaled.is_finite() and scaled == scaled.to_integral_value():
        return int(scaled)
    exact = quantize(amount, currency)  # raises the explanation
    return int(exact.scaleb(exp))


def from_minor_units(units: int, currency: str) -> Decimal:
    """``1234`` USD -> ``Decimal('12.34')``; ``1234`` JPY -> ``Decimal('1234')``."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise CurrencyError(f"minor units must be an integer, got {units!r}")
    exp = currency_exponent(currency)
    return Decimal(units).scaleb(-exp).quantize(_quantum(normalize_currency(currency)))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Adding two currencies is an error."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise CurrencyError(f"Money amount must be a Decimal, got {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise CurrencyError(f"Money amount must be finite, got {self.amount}")
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build from a string or int (``Money.of("12.30", "usd")``); floats are refused."""
        if isinstance(amount, float):
            raise CurrencyError("refusing a float amount: pass a str or Decimal")
        return cls(Decimal(amount), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        return cls(from_minor_units(units, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.from_minor(0, currency)

    def minor_units(self) -> int:
        return to_minor_units(self.amount, self.currency)

    def quantized(self) -> Money:
        """This amount rounded half-even to the currency's precision."""
        return Money(quantize(self.amount, self.currency, strict=False), self.currency)

    def _same(self, other: Any) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __str__(self) -> str:
        exp = currency_exponent(self.currency)
        return f"{self.amount:,.{exp}f} {self.currency}"
