"""Writing records and reports to CSV that is safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula, so a
customer name such as ``=HYPERLINK("http://evil", "click")`` coming from an
outside system would run on the coordinator's machine. Following OWASP's
guidance on CSV injection, every text cell that a spreadsheet could evaluate,
in any locale, is neutralised with a leading apostrophe (shown as text):

- the starters above, ``|`` (DDE) and their look-alikes that some locales
  and input methods read as the same (the full-width forms U+FF1D, U+FF0B,
  U+FF0D, U+FF20 and U+FF5C, the small forms U+FE66, U+FE62, U+FE63 and
  U+FE6B, the minus sign U+2212), also after leading spaces and
  invisible characters (a byte-order mark, a zero-width space);
- a formula after a separator: a file opened with ``;``, a tab or ``|`` as
  its separator splits a cell such as ``;=5+5`` in two, so every cell
  holding a separator is quoted and a starter right after a separator gets
  its apostrophe too (``;'=5+5``).

Plain numbers (``-12.50``) stay numbers, also after a separator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any

import orjson

from hub.errors import HubError
from hub.models import ENTITY_MODELS
from hub.store import Connection
from hub.store.stored import iter_records

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""What OWASP lists as a formula's first character."""
LOOK_ALIKES = "|\uff1d\uff0b\uff0d\uff20\uff5c\ufe66\ufe62\ufe63\ufe6b\u2212"
"""Other first characters read as a formula: DDE's ``|``, full-width and small forms."""
SEPARATORS = ",;\t|"
"""The separators a spreadsheet may split a CSV line on, whatever the file's own is."""

_STARTER = "[" + re.escape("".join(FORMULA_TRIGGERS) + LOOK_ALIKES) + "]"
_INVISIBLE = "[\\s\ufeff\u200b-\u200d\u2060\u00a0]*"
_FORMULA_AT_START = re.compile(_INVISIBLE + _STARTER)
_FORMULA_AFTER_SEPARATOR = re.compile(
    "([" + re.escape(SEPARATORS) + "])(" + _INVISIBLE + ")(?=" + _STARTER + ")")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_NEEDS_QUOTES = re.compile('[' + re.escape(SEPARATORS) + '"\r\n]|^\\s|\\s$')


def safe_cell(value: Any) -> str:
    """The text of one CSV cell, neutralised if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError("refusing to write a float to a report; use Decimal")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | dict):
        text = orjson.dumps(value, default=str).decode()
    else:
        text = str(value)
    return neutralised(text)


def neutralised(text: str) -> str:
    """``text`` as a cell no spreadsheet evaluates (see the module's rules)."""
    if not text or _PLAIN_NUMBER.fullmatch(text):
        return text
    starts = _FORMULA_AT_START.match(text) is not None
    if any(sep in text for sep in SEPARATORS):
        text = _FORMULA_AFTER_SEPARATOR.sub(_after_separator, text)
    return "'" + text if starts else text


def _after_separator(found: re.Match[str]) -> str:
    rest = found.string[found.end():]
    part = re.split("[" + re.escape(SEPARATORS) + "]", rest, maxsplit=1)[0].strip()
    if _PLAIN_NUMBER.fullmatch(part):
        return found.group(0)  # "1;-2": a number, once split
    return found.group(1) + found.group(2) + "'"


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line (``\\r\\n``-ended): a cell is quoted when it holds a quote, a line
    break, leading or trailing space, or any separator (not only the comma), so that a
    spreadsheet splitting on ``;``, a tab or ``|`` keeps it whole."""
    return ",".join(
        '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell
        for cell in cells) + "\r\n"


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``header`` and ``rows`` as formula-safe CSV; returns the number of rows."""
    out.write(csv_line([safe_cell(h) for h in header]))
    n = 0
    for row in rows:
        out.write(csv_line([safe_cell(v) for v in row]))
        n += 1
    return n


def record_columns(entity: str) -> list[str]:
    """The export columns of ``entity``: where it came from, then its canonical fields."""
    model = ENTITY_MODELS.get(entity)
    if model is None:
        known = ", ".join(sorted(ENTITY_MODELS))
        raise HubError(f"unknown entity {entity!r}", hint=f"use one of: {known}")
    fields = [name for name in model.model_fields if name not in ("source", "external_id", "raw")]
    return ["source", "external_id", *fields]


def export_records(
    conn: Connection, entity: str, out: IO[str], *, source: str | None = None
) -> int:
    """Write every live ``entity`` record in the store (optionally of one source) as CSV."""
    columns = record_columns(entity)

    def rows() -> Iterable[list[Any]]:
        for rec in iter_records(conn, source=source, entity=entity):
            data = rec.as_dict()
            data["source"] = rec.source
            data["external_id"] = rec.external_id
            yield [data.get(col) for col in columns]

    return write_csv(out, columns, rows())


def export_to_path(
    conn: Connection, entity: str, path: Path, *, source: str | None = None
) -> int:
    """:func:`export_records` into a file (UTF-8 with BOM, which Excel reads as UTF-8)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        return export_records(conn, entity, fh, source=source)
