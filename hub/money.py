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
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from typing import Annotated, Any

from iso4217 import Currency as _IsoCurrency
from pydantic import AfterValidator

from hub.errors import CurrencyError

__all__ = [
    "MAX_MINOR_UNITS",
    "Money",
    "currency_exponent",
    "fits_currency",
    "from_minor_units",
    "is_currency",
    "known_currencies",
    "normalize_currency",
    "quantize",
    "quantum",
    "to_minor_units",
]


MAX_MINOR_UNITS = 2**63 - 1
"""The largest amount a record may carry, in minor units: the store keeps amounts
as signed 64-bit integers (92,233,720,368,547,758.07 USD)."""

_DIGITS = 100
"""Significant digits money arithmetic keeps exactly (the decimal module's default is 28)."""

_EXACT = Context(prec=_DIGITS, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN,
                 traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
"""For operations that must never round: a result that would be rounded raises instead."""

_ROUNDING = Context(prec=_DIGITS, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN,
                    traps=[InvalidOperation, DivisionByZero, Overflow])
"""For quantizing, where rounding to the currency's precision may be wanted."""


def _as_decimal(amount: object) -> Decimal:
    """``amount`` as a Decimal: a Decimal or an int is exact; a float never is."""
    if isinstance(amount, Decimal):
        return amount
    if isinstance(amount, float):
        raise CurrencyError(f"refusing the float {amount!r}: amounts must be a str or Decimal")
    if isinstance(amount, int) and not isinstance(amount, bool):
        return Decimal(amount)
    raise CurrencyError(f"an amount must be a Decimal, got {type(amount).__name__}")


def _too_big(amount: Decimal, currency: str) -> CurrencyError:
    return CurrencyError(f"{amount} {currency} has too many digits to be handled exactly")


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
    return isinstance(code, str) and code.strip().upper() in _exponents()


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
def quantum(code: str) -> Decimal:
    """The smallest unit of ``code`` as a Decimal: ``0.01`` for USD, ``1`` for JPY."""
    return Decimal(1).scaleb(-currency_exponent(code))


def quantize(amount: Decimal, currency: str, *, strict: bool = True) -> Decimal:
    """Express ``amount`` at ``currency``'s precision.

    With ``strict`` (the default) an amount that has more digits than the
    currency allows is an error rather than being rounded silently: 10.005 USD
    is a data problem a person should see. Without it, rounds half-even.
    """
    code = normalize_currency(currency)
    amount = _as_decimal(amount)
    if not amount.is_finite():
        raise CurrencyError(f"{amount} is not an amount of {code}")
    try:
        result = _ROUNDING.quantize(amount, quantum(code))
    except InvalidOperation:
        raise CurrencyError(f"{amount} cannot be expressed in {code}") from None
    if strict and result != amount:
        raise CurrencyError(
            f"{amount} has more decimal places than {code} allows ({currency_exponent(code)})"
        )
    return result


def fits_currency(amount: Decimal, currency: str) -> bool:
    """Whether ``amount`` is exact at ``currency``'s precision (12.340 USD is, 12.345 is not)."""
    if type(amount) is Decimal:
        try:  # the common case, in the thread's context (28 digits)
            return amount.quantize(quantum(currency)) == amount
        except (InvalidOperation, CurrencyError):
            pass
    try:
        return _ROUNDING.quantize(_as_decimal(amount), quantum(currency)) == amount
    except (InvalidOperation, CurrencyError):
        return False


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal('12.34')`` USD -> ``1234``; JPY is already in minor units.

    Exact for any amount: raises :class:`CurrencyError` when the amount has
    sub-minor-unit digits, is not finite, or is too large to convert exactly,
    never rounds.
    """
    exp = currency_exponent(currency)
    if type(amount) is not Decimal:
        amount = _as_decimal(amount)
    if not amount.is_finite():
        raise CurrencyError(f"{amount} is not an amount of {currency}")
    if amount and amount.adjusted() + exp >= _DIGITS:
        raise _too_big(amount, currency)
    try:
        scaled = _EXACT.scaleb(amount, exp)
    except Inexact:
        raise _too_big(amount, currency) from None
    if scaled == scaled.to_integral_value():
        return int(scaled)
    quantize(amount, currency)  # raises the explanation
    raise AssertionError("unreachable: a non-integral scaled amount fits the currency")


def from_minor_units(units: int, currency: str) -> Decimal:
    """``1234`` USD -> ``Decimal('12.34')``; ``1234`` JPY -> ``Decimal('1234')``."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise CurrencyError(f"minor units must be an integer, got {units!r}")
    exp = currency_exponent(currency)
    try:
        return _EXACT.scaleb(Decimal(units), -exp)  # exponent -exp: 0 USD is 0.00
    except Inexact:
        raise CurrencyError(f"{units} minor units of {currency} have too many digits") from None


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
        if isinstance(amount, float | bool):
            raise CurrencyError(f"refusing the {type(amount).__name__} {amount!r}: "
                                "pass a str or Decimal")
        if isinstance(amount, str):
            try:
                return cls(Decimal(amount.strip()), currency)
            except InvalidOperation:
                raise CurrencyError(f"{amount!r} is not an amount") from None
        return cls(_as_decimal(amount), currency)

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
        try:
            return Money(_EXACT.add(self.amount, self._same(other).amount), self.currency)
        except Inexact:
            raise _too_big(self.amount, self.currency) from None

    def __sub__(self, other: Money) -> Money:
        try:
            return Money(_EXACT.subtract(self.amount, self._same(other).amount), self.currency)
        except Inexact:
            raise _too_big(self.amount, self.currency) from None

    def __neg__(self) -> Money:
        try:
            return Money(_EXACT.minus(self.amount), self.currency)  # -(0.00) is 0.00
        except Inexact:
            raise _too_big(self.amount, self.currency) from None

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
        text = f"{self.amount:,.{exp}f}"
        if text.startswith("-") and not text.strip("-0.,"):
            text = text[1:]  # -0.00 (or -0.001 shown at cents) is shown as 0.00
        return f"{text} {self.currency}"


def _checked_currency(value: str) -> str:
    try:
        return normalize_currency(value)
    except CurrencyError as exc:
        raise ValueError(exc.message) from None


CurrencyCode = Annotated[str, AfterValidator(_checked_currency)]
"""An ISO 4217 code, for pydantic models: any case on input, upper case once validated."""
