"""Small text helpers: comparable numbers and names, and money as people write it."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from hub.money import currency_exponent, from_minor_units

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$",
            "CHF": "CHF ", "INR": "₹"}
_LEGAL = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|gmbh|ag|sa|sas|sarl|bv|nv|plc|co|corp|corporation|"
    r"company|kg|oy|ab|as|spa|srl)\b\.?", re.I)
_NON_WORD = re.compile(r"[^\w]+")
_TOKEN = re.compile(r"(?<![\w-])[A-Za-z]*[#-]?\d[\w/-]*")


def number_key(number: str | None, prefixes: Sequence[str] = ()) -> str | None:
    """A document number as compared across systems: case, spaces and prefixes dropped.

    ``INV-001042``, ``inv 1042`` and ``#1042`` all become ``1042`` when the
    prefixes say so; leading zeros go too.
    """
    return number_keyer(tuple(prefixes))(number)


@functools.lru_cache(maxsize=64)
def number_keyer(prefixes: Sequence[str] = ()) -> Callable[[str | None], str | None]:
    """:func:`number_key` for these prefixes, prepared once (to call a million times).

    ``prefixes`` must be hashable: a tuple, not a list.
    """
    prepared = [p for p in (prefix.upper().replace(" ", "")
                            for prefix in sorted(prefixes, key=len, reverse=True)) if p]

    def key(number: str | None) -> str | None:
        if not number:
            return None
        text = number.strip().upper().replace(" ", "")
        for p in prepared:
            if text.startswith(p) and len(text) > len(p):
                text = text[len(p):]
                break
        text = text.lstrip("-_#")
        stripped = text.lstrip("0")
        return stripped or text or None

    return key


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str | None) -> str:
    """A party name as compared: lower case, no legal form, no punctuation."""
    if not name:
        return ""
    text = _LEGAL.sub(" ", name.casefold())
    return " ".join(_NON_WORD.sub(" ", text).split())


def candidate_numbers(text: str, prefixes: Sequence[str] = ()) -> set[str]:
    """Every token in free text that could be a document number, as number keys."""
    out: set[str] = set()
    keyer = number_keyer(tuple(prefixes))
    for token in _TOKEN.findall(text or ""):
        key = keyer(token)
        if key:
            out.add(key)
    return out


def money(minor: int, currency: str) -> str:
    """``$1,250.00``, ``€99.90``, ``¥5,000``, ``1.500 KWD``."""
    amount = from_minor_units(minor, currency)
    exp = currency_exponent(currency)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.{exp}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def amount_of(minor: int, currency: str) -> Decimal:
    return from_minor_units(minor, currency)


def human_list(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    seq = list(items)
    if len(seq) <= 1:
        return "".join(seq)
    return ", ".join(seq[:-1]) + " and " + seq[-1]
