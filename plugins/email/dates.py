"""Dates in a reply's words ("by December 10", "bis zum 15.12.2026", "le 20 décembre",
"el 18 de diciembre de 2026"), read with dateparser.

Candidates are found with patterns of the shapes dates take in the four
languages (so that an invoice number or an amount is never read as a date),
then each is parsed by dateparser in the reply's language, counting from the
message's own date: "December 4th" in a mail of 1 December 2026 is 4 December
2026, and "12/08/2026" is read month-first in English unless the mailbox says
``parsing.date_order = "day-first"`` (day-first in the other languages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|"
    r"januar|februar|märz|mai|juni|juli|oktober|dezember|jän|okt|dez|"
    r"janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"janv|févr|avr|juil|déc|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    r"noviembre|diciembre|ene|dic"
)
CANDIDATE = re.compile(
    r"(?i)(?<![\w-])(?:"
    r"\d{4}-\d{1,2}-\d{1,2}|"
    r"\d{1,2}[./]\d{1,2}[./]\d{2,4}|"
    rf"\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?(?:{_MONTHS})\.?(?:,?\s+(?:de\s+)?\d{{4}})?|"
    rf"(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    r")(?![\w-])")
_NOT_DATES = re.compile(r"(?<![\w-])[A-Z]{1,5}-\d[\d\-/]*")


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date the text names, where it stands and the words just before it."""

    value: date
    start: int
    before: str
    after: str


def mentions(text: str, language: str | None, base: datetime,
             day_first: bool = False) -> list[DateMention]:
    """Every date ``text`` names, in order."""
    clean = _NOT_DATES.sub(lambda m: " " * len(m.group(0)), text)
    found: list[DateMention] = []
    for match in CANDIDATE.finditer(clean):
        parsed = _parse(match.group(0), language, base.replace(tzinfo=None), day_first)
        if parsed is not None:
            found.append(DateMention(parsed, match.start(),
                                     clean[max(0, match.start() - 60):match.start()],
                                     clean[match.end():match.end() + 30]))
    return found


def _parse(text: str, language: str | None, base: datetime, day_first: bool) -> date | None:
    order = "MDY" if language in (None, "en") and not day_first else "DMY"
    return _cached(" ".join(text.split()), language, base, order)


@lru_cache(maxsize=4096)
def _cached(text: str, language: str | None, base: datetime, order: str) -> date | None:
    import dateparser  # a second's import: only when a reply names a date

    settings: dict[str, Any] = {"DATE_ORDER": order, "PREFER_DATES_FROM": "future",
                                "RELATIVE_BASE": base, "REQUIRE_PARTS": ["day", "month"]}
    languages = [language] if language else ["en", "de", "fr", "es"]
    try:
        parsed = dateparser.parse(text.replace(" de ", " "), languages=languages,
                                  settings=settings)
    except (ValueError, OverflowError):
        return None
    if parsed is None:
        return None
    value: date = parsed.date()
    if not re.search(r"\d{4}", text) and value < base.date() - timedelta(days=7):
        value = value.replace(year=value.year + 1)  # "4 January" said in December
    return value
