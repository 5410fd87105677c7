"""CSV exports: formula cells neutralised, numbers kept, every record written."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.errors import HubError
from hub.reports.export import export_records, export_to_path, safe_cell, write_csv
from tests.support.hub import hub


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "\r=1", "-", "=", "+44 20"],
)
def test_formula_cells_are_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("-12.50"), "-12.50"),
        ("-12.50", "-12.50"),
        (-3, "-3"),
        ("Acme = Co", "Acme = Co"),
        ("a@b.example", "a@b.example"),
        (date(2026, 3, 1), "2026-03-01"),
        (None, ""),
        (True, "true"),
    ],
)
def test_ordinary_cells_are_kept(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        safe_cell(1.5)


def test_write_csv_round_trips_through_the_csv_module() -> None:
    out = io.StringIO()
    n = write_csv(out, ["name", "amount"], [["=cmd|' /C calc'!A0", Decimal("-5.00")],
                                            ["line\nbreak, comma", Decimal("7")]])
    assert n == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["name", "amount"], ["'=cmd|' /C calc'!A0", "-5.00"],
                    ["line\nbreak, comma", "7"]]


def test_export_records_from_the_store(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "inv.csv").write_text(
        "Number,Customer,Date,Total\n"
        "INV-1,=2+5 Evil Corp,2026-03-01,-10.00\n"
        "INV-2,Acme,2026-03-02,1250.00\n",
        encoding="utf-8",
    )
    body = """
    [connectors.books]
    type = "csv"
    [[connectors.books.files]]
    path = "inv.csv"
    entity = "invoice"
    date_format = "%Y-%m-%d"
    defaults = { currency = "USD" }
    [connectors.books.files.columns]
    number = "Number"
    customer_name = "Customer"
    issue_date = "Date"
    total = "Total"
    """
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        sync.sync("books")
        target = tmp_path / "out.csv"
        with engine.connect() as conn:
            assert export_to_path(conn, "invoice", target) == 2
            assert export_records(conn, "invoice", io.StringIO(), source="other") == 0
            with pytest.raises(HubError, match="unknown entity"):
                export_records(conn, "invoices", io.StringIO())
    text = target.read_text(encoding="utf-8-sig")
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["INV-1"]["customer_name"] == "'=2+5 Evil Corp"
    assert rows["INV-1"]["total"] == "-10.00"
    assert rows["INV-2"]["balance"] == "1250.00"
    assert rows["INV-2"]["source"] == "books"
    assert "raw" not in rows["INV-2"]
