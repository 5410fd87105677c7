"""Amounts and dates as the customer reads them, and the words of an invoice's e-mail.

Amounts are ``Decimal`` in the currency's own exponent, written by Babel in the
customer's locale with the currency's own number of digits (``$1,250.00``,
``1.250,00 €``, ``¥1,250``). Values put into the subject are made one line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from hub.models import Customer, Invoice


def checked_locale(value: str) -> str:
    """``value`` as a locale Babel knows (``de_DE``, ``en-GB``), or a ValueError."""
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"{value!r} is not a locale (en_US, de_DE, fr_CH ...)") from None


def money(amount: Decimal, currency: str, locale: str) -> str:
    """``amount`` of ``currency`` written for ``locale``, with the currency's digits."""
    return str(format_currency(amount, currency, locale=locale, currency_digits=True))


def money_with_code(amount: Decimal, currency: str, locale: str) -> str:
    """``EUR 1.250,00``: the amount written for ``locale`` after the ISO code, for where
    the currency's symbol cannot be shown."""
    from hub.money import currency_exponent

    digits = currency_exponent(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return f"{currency} {format_decimal(amount, format=pattern, locale=locale)}"


def day(value: date | None, locale: str) -> str:
    return "" if value is None else str(format_date(value, format="medium", locale=locale))


def locale_of(customer: Customer | None, default: str) -> str:
    """The customer's own ``metadata.locale`` when it has a valid one, else ``default``."""
    wanted = (customer.metadata.get("locale") if customer is not None else None) or ""
    try:
        return checked_locale(wanted) if wanted else default
    except ValueError:
        return default


def one_line(text: str) -> str:
    return " ".join(text.split())


def subject(invoice: Invoice, company: str, locale: str) -> str:
    total = money(invoice.total or Decimal(0), invoice.currency, locale)
    sender = f" from {one_line(company)}" if company else ""
    return one_line(f"Invoice {invoice.number}{sender}: {total}")


def body(invoice: Invoice, customer_name: str, company: str, locale: str) -> str:
    """The plain-text e-mail the PDF goes with."""
    total = money(invoice.total or Decimal(0), invoice.currency, locale)
    due = (f", due on {day(invoice.due_date, locale)}" if invoice.due_date else "")
    lines = [f"Dear {one_line(customer_name)},", "",
             f"please find attached invoice {invoice.number} of "
             f"{day(invoice.issue_date, locale)} for {total}{due}.", ""]
    for line in invoice.lines:
        lines.append(f"  {one_line(line.description) or '(no description)'}: "
                     f"{money(line.amount, invoice.currency, locale)}")
    if invoice.lines:
        lines.append("")
    lines += ["Questions about the invoice? Just reply to this message.", "",
              "Kind regards,", company or ""]
    return "\n".join(lines).rstrip() + "\n"
