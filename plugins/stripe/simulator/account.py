"""Which currency the account settles each charge in, and at what rate.

A Stripe account has a default currency and a bank account for payouts in
some currencies. A charge in a currency the account can pay out keeps that
currency; a charge in any other currency is converted into the default
currency when it settles: its balance transaction then has the default
currency as ``currency``, the converted ``amount``, ``fee`` and ``net`` in
it, and ``exchange_rate`` (docs: Balance Transaction object, currency
conversions). The charge keeps the currency and amount the customer paid.

:class:`Account` is a knob of the simulator. Its default pays out every
currency as it is (a bank account in each), so nothing is converted unless
a test says which currencies the account can pay out
(``Account(default_currency="usd", payout_currencies={"usd"})``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal

from plugins.stripe.simulator import currencies

USD_PER_UNIT: Mapping[str, Decimal] = {
    "usd": Decimal(1), "eur": Decimal("1.08"), "gbp": Decimal("1.27"),
    "chf": Decimal("1.12"), "cad": Decimal("0.73"), "aud": Decimal("0.66"),
    "jpy": Decimal("0.00625"), "krw": Decimal("0.00074"), "bhd": Decimal("2.65"),
    "kwd": Decimal("3.25"), "sek": Decimal("0.095"), "dkk": Decimal("0.145"),
}
"""US dollars one unit of each currency buys, for the rates the simulator quotes."""

_RATE = Context(prec=8, rounding=ROUND_HALF_UP)
"""Stripe quotes ``exchange_rate`` to a handful of significant digits."""


@dataclass(frozen=True, slots=True)
class Account:
    """The simulated account's settlement: ``default_currency``, the currencies it
    can pay out (None: every one), and ``usd_per_unit`` to derive exchange rates."""

    default_currency: str = "usd"
    payout_currencies: frozenset[str] | None = None
    usd_per_unit: Mapping[str, Decimal] = field(default_factory=lambda: dict(USD_PER_UNIT))

    def settles_in(self, currency: str) -> str:
        """The currency a charge in ``currency`` settles in."""
        if self.payout_currencies is None or currency in self.payout_currencies:
            return currency
        return self.default_currency

    def rate(self, source: str, target: str) -> Decimal:
        """Units of ``target`` one unit of ``source`` buys (Stripe's ``exchange_rate``)."""
        try:
            return _RATE.divide(self.usd_per_unit[source], self.usd_per_unit[target])
        except KeyError as exc:
            raise ValueError(f"the simulated account has no exchange rate for {exc.args[0]}; "
                             "add it to Account.usd_per_unit") from None

    def settle(self, amount: int, currency: str) -> tuple[str, int, Decimal | None]:
        """(settlement currency, amount in its smallest unit, exchange rate or None) of
        ``amount`` smallest units of ``currency``, rounded half up."""
        target = self.settles_in(currency)
        if target == currency:
            return currency, amount, None
        rate = self.rate(currency, target)
        return target, convert(amount, currency, target, rate), rate


def convert(amount: int, source: str, target: str, rate: Decimal) -> int:
    """``amount`` smallest units of ``source`` at ``rate``, in smallest units of ``target``."""
    major = Decimal(amount).scaleb(-currencies.exponent(source)) * rate
    return int(major.scaleb(currencies.exponent(target)).quantize(Decimal(1), ROUND_HALF_UP))
