"""Currencies as Stripe counts them: integer amounts in the smallest unit.

Stripe's own lists (docs: Currencies) decide the exponent, not ISO 4217:
zero-decimal currencies count whole units, three-decimal ones count
thousandths and take charge amounts only in multiples of 10.
"""

from __future__ import annotations

from iso4217 import Currency

from plugins.stripe.simulator.errors import invalid

ZERO_DECIMAL = frozenset([
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
])
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def normalize(value: str, param: str = "currency") -> str:
    """A currency code as Stripe returns it (lowercase), refusing unknown codes."""
    code = value.strip().lower()
    if len(code) != 3 or code.upper() not in Currency.__members__:
        raise invalid(f"Invalid currency: {value}. Stripe currently supports these "
                      "currencies: see https://stripe.com/docs/currencies", param)
    return code


def check_charge_amount(amount: int, currency: str, param: str = "amount") -> None:
    """Three-decimal currencies charge and refund in multiples of 10 only."""
    if currency in THREE_DECIMAL and amount % 10 != 0:
        raise invalid(f"Invalid amount: {currency.upper()} amounts must be a multiple of 10 "
                      "in the smallest unit (the last digit is always 0).", param,
                      "amount_invalid")


def card_fee(amount: int, currency: str) -> int:
    """A card processing fee shaped like Stripe's standard pricing: 2.9 % plus a
    fixed part (30 cents; none in zero-decimal currencies), half up."""
    fixed = {0: 0, 2: 30, 3: 300}[exponent(currency)]
    return (amount * 29 + 500) // 1000 + fixed
