"""What invoices, credit memos and payments share: the customer they name, their
currency and its exchange rate, and their dates as QuickBooks reads them.

``CURRENCY_NAMES`` and the two ``CurrencyRef`` helpers serve customers too
(a customer's currency is fixed when it is made).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from plugins.quickbooks.simulator import errors
from plugins.quickbooks.simulator.wire import to_decimal

if TYPE_CHECKING:
    from plugins.quickbooks.simulator.company import Company

CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
                  "CAD": "Canadian Dollar"}
EXCHANGE_RATES = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")}
"""Home-currency value of one unit, used when a foreign transaction gives none."""


def customer_ref(company: Company, values: dict[str, Any]) -> dict[str, Any]:
    ref = values.get("CustomerRef")
    value = ref.get("value") if isinstance(ref, dict) else None
    if not value:
        raise errors.required("CustomerRef", "CustomerRef is missing in the request")
    customer = company.objects["Customer"].get(str(value))
    if customer is None:
        raise errors.invalid_reference("CustomerRef", str(value))
    return customer


def currency_and_rate(company: Company, values: dict[str, Any],
                      customer: dict[str, Any]) -> tuple[str, Decimal]:
    currency = currency_code(values.get("CurrencyRef")) or customer["CurrencyRef"]["value"]
    if currency != customer["CurrencyRef"]["value"]:
        raise errors.business(
            f"The currency {currency} is not the currency of customer {customer['Id']} "
            f"({customer['CurrencyRef']['value']})", "CurrencyRef")
    if currency == company.home_currency:
        return currency, Decimal(1)
    rate = to_decimal(values.get("ExchangeRate"))
    if rate is None or rate <= 0 or rate == 1:
        rate = EXCHANGE_RATES.get(currency, Decimal(1))
    return currency, rate


def currency_code(ref: Any) -> str | None:
    if isinstance(ref, dict) and ref.get("value"):
        return str(ref["value"]).upper()
    return None


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def date_text(value: Any, element: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError as error:
        raise errors.validation("2070", "Invalid Date",
                                f"Invalid date {value!r} for {element}: expected YYYY-MM-DD",
                                element) from error
