"""The CSV connector: formats real exports use, bad rows, re-imports and resumes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from hub.errors import FatalError
from plugins.csv.parsing import date_parser, number_parser
from tests.support.hub import connector_of, counts, hub, quarantined, stored

INVOICES = """\
[connectors.books]
type = "csv"

[[connectors.books.files]]
path = "invoices.csv"
entity = "invoice"
date_format = "%Y-%m-%d"
defaults = { currency = "USD" }
[connectors.books.files.columns]
number = "Number"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
total = "Total"
balance = "Balance"
"""

HEADER = "Number,Customer,Date,Due,Total,Balance\n"


def _invoices(folder: Path, rows: list[str], *, header: str = HEADER) -> None:
    (folder / "invoices.csv").write_text(header + "".join(r + "\n" for r in rows), "utf-8")


# --------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("1234.56", ".", "", "1234.56"),
        ("1,234.56", ".", ",", "1234.56"),
        ("1.234,56", ",", ".", "1234.56"),
        ("1 234,56", ",", " ", "1234.56"),
        ("1\u00a0234,56", ",", " ", "1234.56"),
        ("11'373.94", ".", "'", "11373.94"),
        ("-98,76", ",", ".", "-98.76"),
        ("(12.50)", ".", ",", "-12.50"),
        ("12.50-", ".", ",", "-12.50"),
        ("$20.00", ".", ",", "20.00"),
        ("-$1,000.00", ".", ",", "-1000.00"),
        ("100,00 €", ",", ".", "100.00"),
    ],
)
def test_number_formats(text: str, decimal: str, thousands: str, expected: str) -> None:
    assert number_parser(decimal, thousands)(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["12.5.3", "1e5", "n/a", "NaN", "--5", ""])
def test_numbers_refused(text: str) -> None:
    with pytest.raises(ValueError):
        number_parser(".", ",")(text)


def test_decimal_comma_mismatch_is_explained() -> None:
    with pytest.raises(ValueError, match="decimal mark is ','"):
        number_parser(",", "")("1.234")


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("%d.%m.%Y", "31.03.2019", "2019-03-31"),
        ("%m/%d/%Y", "08/17/2022", "2022-08-17"),
        ("%m/%d/%y", "2/20/19", "2019-02-20"),
        ("day-first", "24/03/2022", "2022-03-24"),
        ("month-first", "03/24/2022", "2022-03-24"),
        ("day-first", "2022-03-24", "2022-03-24"),
        ("iso", "2021-02-03 13:12", "2021-02-03"),
        ("%d %b %Y", "05 Mar 2021", "2021-03-05"),
    ],
)
def test_date_formats(fmt: str, text: str, expected: str) -> None:
    assert date_parser(fmt)(text).isoformat() == expected


def test_day_first_hint_on_month_first_data() -> None:
    with pytest.raises(ValueError, match="month-first"):
        date_parser("day-first")("03/24/2022")


# ------------------------------------------------------------ import behaviour
def test_import_then_reimport_changes_nothing(tmp_path: Path, store_url: str) -> None:
    _invoices(tmp_path,
              [f"INV-{i},Acme,2026-01-0{i},2026-02-0{i},100.00,100.00" for i in range(1, 6)])
    with hub(tmp_path, store_url, INVOICES) as (sync, engine, _):
        assert counts(sync.sync("books"), "invoice") == (5, 0, 0, 0)
        assert counts(sync.sync("books"), "invoice") == (0, 0, 5, 0)
        inv = stored(engine, "invoice")["INV-3"]
    assert inv["total"] == "100.00" and inv["currency"] == "USD" and inv["status"] == "open"


def test_edited_file_updates_only_changed_rows(tmp_path: Path, store_url: str) -> None:
    rows = [f"INV-{i},Acme,2026-01-0{i},2026-02-0{i},100.00,100.00" for i in range(1, 6)]
    _invoices(tmp_path, rows)
    with hub(tmp_path, store_url, INVOICES) as (sync, engine, _):
        sync.sync("books")
        rows[2] = "INV-3,Acme,2026-01-03,2026-02-03,100.00,40.00"  # partly paid now
        rows.append("INV-6,Beta,2026-01-06,2026-02-06,20.00,20.00")
        _invoices(tmp_path, rows)
        assert counts(sync.sync("books"), "invoice") == (1, 1, 4, 0)
        inv = stored(engine, "invoice")["INV-3"]
    assert inv["status"] == "partially_paid"
    assert inv["amount_paid"] == "60.00" and inv["balance"] == "40.00"


def test_bad_rows_are_quarantined_and_the_rest_imported(tmp_path: Path, store_url: str) -> None:
    _invoices(tmp_path, [
        "INV-1,Acme,2026-01-01,2026-02-01,100.00,100.00",
        "INV-2,Acme,2026-13-45,2026-02-01,100.00,100.00",
        "INV-3,Acme,2026-01-03,2026-02-03,ten dollars,100.00",
        "INV-4,Acme,2026-01-04,2026-02-04,100.001,100.001",
        "INV-5,Acme,2026-01-05",
        "INV-6,Acme,2026-01-06,2026-02-06,50.00,50.00",
    ])
    with hub(tmp_path, store_url, INVOICES) as (sync, engine, _):
        assert counts(sync.sync("books"), "invoice") == (2, 0, 0, 4)
        bad = quarantined(engine)
        assert sorted(stored(engine, "invoice")) == ["INV-1", "INV-6"]
        # a second run does not add the same bad rows again
        sync.sync("books")
        assert len(quarantined(engine)) == 4
    by_line = {q["location"]: q for q in bad}
    assert set(by_line) == {"invoices.csv:3", "invoices.csv:4", "invoices.csv:5", "invoices.csv:6"}
    assert "Date" in by_line["invoices.csv:3"]["reason"] and "2026-13-45" in by_line[
        "invoices.csv:3"]["reason"]
    assert "'ten dollars' is not an amount" in by_line["invoices.csv:4"]["reason"]
    assert "more decimal places than USD allows" in by_line["invoices.csv:5"]["reason"]
    assert "fields but the header has" in by_line["invoices.csv:6"]["reason"]
    assert '"Number":"INV-3"' in by_line["invoices.csv:4"]["raw"]


def test_fixed_row_resolves_its_quarantine_entry(tmp_path: Path, store_url: str) -> None:
    _invoices(tmp_path, ["INV-1,Acme,2026-01-01,2026-02-01,1O0.00,100.00"])
    with hub(tmp_path, store_url, INVOICES) as (sync, engine, _):
        sync.sync("books")
        assert len(quarantined(engine)) == 1
        _invoices(tmp_path, ["INV-1,Acme,2026-01-01,2026-02-01,100.00,100.00"])
        sync.sync("books")
        assert quarantined(engine) == []


def test_repeated_id_is_quarantined_not_overwritten(tmp_path: Path, store_url: str) -> None:
    body = INVOICES.replace('type = "csv"', 'type = "csv"\npage_size = 2')
    _invoices(tmp_path, [
        "INV-1,Acme,2026-01-01,2026-02-01,100.00,100.00",
        "INV-2,Acme,2026-01-02,2026-02-02,100.00,100.00",
        "INV-3,Acme,2026-01-03,2026-02-03,100.00,100.00",
        "INV-1,Other,2026-01-09,2026-02-09,999.00,999.00",
    ])
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        for _round in range(2):
            summary = sync.sync("books")
            assert summary.counts["invoice"].quarantined == 1
            assert stored(engine, "invoice")["INV-1"]["customer_name"] == "Acme"
        (entry,) = quarantined(engine)
    assert entry["location"] == "invoices.csv:5"
    assert "already pulled earlier in this run" in entry["reason"]


def test_invoice_lines_grouped_and_checked(tmp_path: Path, store_url: str) -> None:
    body = """\
    [connectors.books]
    type = "csv"
    [[connectors.books.files]]
    path = "lines.csv"
    entity = "invoice"
    defaults = { currency = "EUR" }
    [connectors.books.files.columns]
    number = "Invoice"
    issue_date = "Date"
    customer_name = "Customer"
    tax = "Tax"
    total = "Total"
    line_description = "Item"
    line_quantity = "Qty"
    line_unit_price = "Price"
    line_amount = "Line total"
    """
    (tmp_path / "lines.csv").write_text(
        "Invoice,Date,Customer,Tax,Total,Item,Qty,Price,Line total\n"
        "A-1,2026-03-01,Acme,19.00,119.00,Widget,2,25.00,50.00\n"
        "A-1,2026-03-01,Acme,19.00,119.00,Gadget,1,50.00,50.00\n"
        "A-2,2026-03-02,Beta,0.00,30.00,Widget,1,25.00,25.00\n"
        "A-2,2026-03-02,Beta,0.00,30.00,Shipping,1,5.00,5.00\n"
        "A-3,2026-03-03,Gamma,0.00,99.00,Widget,1,25.00,25.00\n",
        "utf-8",
    )
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        assert counts(sync.sync("books"), "invoice") == (2, 0, 0, 1)
        data = stored(engine, "invoice")
        (bad,) = quarantined(engine)
    assert [ln["description"] for ln in data["A-1"]["lines"]] == ["Widget", "Gadget"]
    assert data["A-1"]["subtotal"] == "100.00" and data["A-1"]["total"] == "119.00"
    assert data["A-2"]["total"] == "30.00"
    assert "A-3" not in data
    assert "subtotal 25.00 + tax 0.00 = 25.00 EUR, but total is 99.00 EUR" in bad["reason"]


def test_formats_bom_semicolon_quoted_newlines_blank_lines(tmp_path: Path, store_url: str) -> None:
    body = """\
    [connectors.bank]
    type = "csv"
    [[connectors.bank.files]]
    path = "bank.csv"
    preset = "bank-signed"
    delimiter = "auto"
    decimal = ","
    thousands = "."
    date_format = "day-first"
    defaults = { currency = "EUR" }
    columns = { booked_date = "Datum", description = "Text", amount = "Betrag", balance_after = "" }
    """
    (tmp_path / "bank.csv").write_bytes(
        "\ufeffDatum;Text;Betrag\r\n"
        "01.02.2026;\"Miete\r\nFebruar\";-1.200,00\r\n"
        "02.02.2026;Überweisung Müller;2.500,50\r\n"
        "\r\n\r\n".encode()
    )
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        assert counts(sync.sync("bank"), "bank_transaction") == (2, 0, 0, 0)
        rows = sorted(stored(engine).values(), key=lambda r: r["booked_date"])
    assert rows[0]["description"] == "Miete\r\nFebruar" and rows[0]["amount"] == "-1200.00"
    assert rows[1]["description"] == "Überweisung Müller" and rows[1]["amount"] == "2500.50"


def test_tab_delimited_cp1252(tmp_path: Path, store_url: str) -> None:
    body = """\
    [connectors.bank]
    type = "csv"
    [[connectors.bank.files]]
    path = "bank.tsv"
    preset = "bank-debit-credit"
    encoding = "cp1252"
    delimiter = "\\t"
    defaults = { currency = "EUR" }
    columns = { balance_after = "" }
    """
    (tmp_path / "bank.tsv").write_bytes(
        "Date\tDescription\tDebit\tCredit\n"
        "2026-01-05\tCafé \u2013 déjeuner\t12.50\t\n".encode("cp1252")
    )
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        sync.sync("bank")
        (row,) = stored(engine).values()
    assert row["description"] == "Café \u2013 déjeuner" and row["amount"] == "-12.50"


def test_a_wrong_encoding_quarantines_the_row_and_names_the_setting(
        tmp_path: Path, store_url: str) -> None:
    body = """\
    [connectors.bank]
    type = "csv"
    [[connectors.bank.files]]
    path = "bank.csv"
    preset = "bank-signed"
    encoding = "{enc}"
    defaults = {{ currency = "EUR" }}
    columns = {{ balance_after = "" }}
    """
    (tmp_path / "bank.csv").write_bytes(
        "Date,Description,Amount\n2026-01-05,Caf\u00e9,-3.00\n".encode("latin-1"))
    with hub(tmp_path, store_url, body.format(enc="utf-8")) as (sync, engine, _):
        assert counts(sync.sync("bank"), "bank_transaction") == (0, 0, 0, 1)
        assert stored(engine) == {}
        [entry] = quarantined(engine)
        assert entry["reason"].startswith(
            "byte 0xE9 at byte offset 38 (line 2) is not valid UTF-8 (if the whole file is in "
            'another encoding, set it: `encoding = "cp1252"`)')
        assert entry["location"] == "bank.csv:2"
    (tmp_path / "bank.csv").write_text("Date,Description,Amount\n2026-01-05,Café,-3.00\n", "utf-8")
    with (hub(tmp_path, store_url, body.format(enc="latin-1")) as (sync, _, _),
          pytest.raises(FatalError, match="its text is UTF-8")):
        sync.sync("bank")


def test_identical_rows_without_ids_are_both_kept(tmp_path: Path, store_url: str) -> None:
    body = """\
    [connectors.bank]
    type = "csv"
    [[connectors.bank.files]]
    path = "bank.csv"
    preset = "bank-signed"
    defaults = { currency = "USD" }
    columns = { balance_after = "" }
    """
    (tmp_path / "bank.csv").write_text(
        "Date,Description,Amount\n2026-01-05,Coffee,-3.00\n2026-01-05,Coffee,-3.00\n"
        "2026-01-06,Deposit,100.00\n", "utf-8")
    with hub(tmp_path, store_url, body) as (sync, engine, _):
        assert counts(sync.sync("bank"), "bank_transaction") == (3, 0, 0, 0)
        assert counts(sync.sync("bank"), "bank_transaction") == (0, 0, 3, 0)
        assert len(stored(engine)) == 3


def test_missing_column_names_the_columns(tmp_path: Path, store_url: str) -> None:
    _invoices(tmp_path, ["INV-1,Acme,2026-01-01,2026-02-01,100.00,100.00"],
              header="Number,Client,Date,Due,Total,Balance\n")
    with (hub(tmp_path, store_url, INVOICES) as (sync, _, _),
          pytest.raises(FatalError, match=r"column 'Customer'.*the file's columns are: Number, "
                                          r"Client")):
        sync.sync("books")


def test_missing_file_says_what_to_check(tmp_path: Path, store_url: str) -> None:
    with hub(tmp_path, store_url, INVOICES) as (sync, engine, _):
        with pytest.raises(FatalError, match="does not exist") as exc:
            sync.sync("books")
        assert "path" in str(exc.value)
        from hub.store import runs
        with engine.connect() as conn:
            (run,) = runs.recent(conn)
        assert run.status == "failed" and "does not exist" in (run.error or "")


def test_resume_from_every_saved_cursor(tmp_path: Path, store_url: str) -> None:
    """Stopping after any page and pulling again ends with the same records as one pull."""
    rows = [f"INV-{i:03},C{i % 7},2026-01-01,2026-02-01,{i}.00,{i}.00" for i in range(1, 24)]
    rows.insert(10, "INV-BAD,C1,2026-99-01,2026-02-01,1.00,1.00")
    _invoices(tmp_path, rows)
    body = INVOICES.replace('type = "csv"', 'type = "csv"\npage_size = 4')
    with hub(tmp_path, store_url, body) as (sync, _engine, config):
        connector = connector_of(config, "books", registry=sync.hub.registry)
        *pages, whole = list(connector.pull("invoice", None))
        assert whole.complete and not whole.records and whole.cursor == pages[-1].cursor
        every = {r.external_id for p in pages for r in p.records}
        assert len(every) == 23 and sum(len(p.rejected) for p in pages) == 1
        for stop, page in enumerate(pages[:-1]):
            resumed = list(connector.pull("invoice", page.cursor))
            before = {r.external_id for p in pages[: stop + 1] for r in p.records}
            after = {r.external_id for p in resumed for r in p.records}
            assert before | after == every
            assert not before & after, f"records repeated after resuming from page {stop}"
        final = list(connector.pull("invoice", pages[-1].cursor))
        assert {r.external_id for p in final for r in p.records} == every  # finished: re-read all
