"""Writing records and reports to CSV that is safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula, so a
customer name such as ``=HYPERLINK("http://evil", "click")`` coming from an
outside system would run on the coordinator's machine. Such cells are
neutralised with a leading apostrophe, which spreadsheets show as text.
Plain numbers (``-12.50``) stay numbers.
"""

from __future__ import annotations

import csv
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
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


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
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``header`` and ``rows`` as formula-safe CSV; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    n = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
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
