"""Turning the text in a CSV cell into Decimals and dates, the way exports write them.

Parsers are compiled once per file from its settings (decimal mark, thousands
separator, date format), so the per-cell work is a few string operations.
Every failure is a ``ValueError`` whose message a coordinator can read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_UNSIGNED = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
_CURRENCY_MARKS = "$€£¥₣₤₹ "


def number_parser(decimal_mark: str = ".", thousands: str = "") -> Callable[[str], Decimal]:
    """A parser for amounts written with ``decimal_mark`` and ``thousands`` separators.

    Accepts a leading or trailing sign, accounting parentheses for negatives
    ``(12.50)``, a currency symbol (``$20.00``, ``12,00 €``) and spaces.
    Refuses anything else (``12.5.3``, ``1e5``, ``n/a``) with a clear reason.
    """
    if decimal_mark == thousands:
        raise ValueError("the decimal mark and the thousands separator must differ")
    # The common case: unsigned digits, the file's thousands separator, an optional
    # decimal part. It gives exactly what the general path below gives for it.
    common = re.compile(
        rf"\d[\d{re.escape(thousands)}]*(?:{re.escape(decimal_mark)}\d+)?" if thousands
        else rf"\d+(?:{re.escape(decimal_mark)}\d+)?"
    ).fullmatch
    comma = decimal_mark == ","

    def parse(text: str) -> Decimal:
        s = text.strip()
        if common(s):
            if thousands:
                s = s.replace(thousands, "")
            return Decimal(s.replace(",", ".") if comma else s)
        if not s:
            raise ValueError("the amount is empty")
        if decimal_mark == "." and not thousands and _PLAIN_NUMBER.fullmatch(s):
            return Decimal(s)
        t = s
        negative = False
        if t.startswith("(") and t.endswith(")"):
            negative, t = True, t[1:-1]
        t = t.strip(_CURRENCY_MARKS + "\u00a0\u202f")
        if t.endswith("-"):
            negative, t = not negative, t[:-1]
        elif t.endswith("+"):
            t = t[:-1]
        t = t.strip(_CURRENCY_MARKS + "\u00a0\u202f")
        if t[:1] in ("+", "-"):
            if t[0] == "-":
                negative = not negative
            t = t[1:].lstrip(_CURRENCY_MARKS + "\u00a0\u202f")
        if thousands:
            t = t.replace(thousands, "")
            if thousands == " ":
                t = t.replace("\u00a0", "").replace("\u202f", "")
        if decimal_mark == ",":
            if "." in t:
                raise ValueError(
                    f"{text!r} has a '.' but this file's decimal mark is ','"
                    " (set `thousands = \".\"` if '.' groups thousands)"
                )
            t = t.replace(",", ".")
        elif "," in t:
            raise ValueError(
                f"{text!r} has a ',' but this file's decimal mark is '.'"
                " (set `thousands = \",\"` or `decimal = \",\"`)"
            )
        if not _UNSIGNED.fullmatch(t):
            raise ValueError(f"{text!r} is not an amount")
        try:
            value = Decimal(t)
        except InvalidOperation:  # pragma: no cover - the pattern above rules it out
            raise ValueError(f"{text!r} is not an amount") from None
        return -value if negative else value

    return parse


_FIELD_CODES = {"%d": "d", "%m": "m", "%Y": "Y", "%y": "y"}


def _two_digit_year(y: int) -> int:
    # POSIX strptime rule: 69-99 -> 1900s, 00-68 -> 2000s.
    return y + (1900 if y >= 69 else 2000)


def _split_parser(order: str, sep: str) -> Callable[[str], date]:
    """A fast parser for formats like %d.%m.%Y built from the field order and separator."""
    di, mi, yi = order.index("d"), order.index("m"), order.index("Y" if "Y" in order else "y")

    def parse(text: str) -> date:
        parts = text.strip().split(" ", 1)[0].split(sep)
        if len(parts) != 3:
            raise ValueError(f"{text!r} is not a date in the form {sep.join(order)}")
        try:
            y = int(parts[yi])
            if len(parts[yi]) <= 2:
                y = _two_digit_year(y)
            return date(y, int(parts[mi]), int(parts[di]))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid date ({exc})") from None

    return parse


def _flexible(day_first: bool) -> Callable[[str], date]:
    """Day-first or month-first dates with / . or - and 2- or 4-digit years; ISO always works."""
    seps = re.compile(r"[./-]")

    def parse(text: str) -> date:
        s = text.strip().split(" ", 1)[0].split("T", 1)[0]
        if len(s) == 10 and s[4] == "-":
            try:
                return date.fromisoformat(s)
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a valid date ({exc})") from None
        parts = seps.split(s)
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            order = "DD/MM/YYYY" if day_first else "MM/DD/YYYY"
            raise ValueError(f"{text!r} is not a date in the form {order}")
        a, b, c = (int(p) for p in parts)
        d, m = (a, b) if day_first else (b, a)
        y = _two_digit_year(c) if len(parts[2]) <= 2 else c
        try:
            return date(y, m, d)
        except ValueError as exc:
            hint = " (is this file month-first?)" if day_first and m > 12 else ""
            if not day_first and m > 12:
                hint = " (is this file day-first?)"
            raise ValueError(f"{text!r} is not a valid date: {exc}{hint}") from None

    return parse


def _iso(text: str) -> date:
    s = text.strip()
    try:
        if len(s) == 10:
            return date.fromisoformat(s)
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def date_parser(fmt: str | None) -> Callable[[str], date]:
    """A date parser for ``fmt``: ``iso``, ``day-first``, ``month-first`` or a strptime format.

    Simple strptime formats (``%d.%m.%Y``, ``%m/%d/%y``) get a fast parser;
    others go through ``datetime.strptime``. A trailing time (``2021-02-03
    13:12``) is ignored for day-level fields.
    """
    if fmt is None or fmt == "iso":
        return _iso
    if fmt == "day-first":
        return _flexible(True)
    if fmt == "month-first":
        return _flexible(False)
    m = re.fullmatch(r"(%[dmYy])([./-])(%[dmYy])\2(%[dmYy])", fmt)
    if m:
        codes = [_FIELD_CODES[m.group(i)] for i in (1, 3, 4)]
        if sorted(c.lower() for c in codes) == ["d", "m", "y"]:
            return _split_parser("".join(codes), m.group(2))
    if "%" not in fmt:
        raise ValueError(f"date_format {fmt!r} is not iso, day-first, month-first or a %-format")

    def parse(text: str) -> date:
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            raise ValueError(f"{text!r} does not match the date format {fmt!r}") from None

    return parse
