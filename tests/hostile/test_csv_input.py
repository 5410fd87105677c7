"""No silent loss in CSV: a quote left open, a byte that is not UTF-8, a cell or a line far
too long each quarantine their own row, with the line and a readable reason, and every other
row is imported, the same on every store; nothing is a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.store import open_store
from tests.hostile.support import INVOICES, good_row
from tests.support.hub import cli, quarantined, stored, write_config

HEADER = b"Number,Customer,Date,Due,Total,Balance,Memo\n"


def _line(i: int) -> bytes:
    return (",".join(good_row(i)) + "\n").encode()


def _sync(tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str], data: bytes,
          extra: str = "") -> tuple[int, str, dict[str, Any], list[dict[str, Any]]]:
    (tmp_path / "invoices.csv").write_bytes(data)
    config = write_config(tmp_path, store_url, INVOICES.replace(
        'date_format = "%Y-%m-%d"\n', f'date_format = "%Y-%m-%d"\n{extra}'))
    code, out, err = cli(capsys, "-c", str(config), "sync")
    assert "Traceback" not in out + err
    engine = open_store(store_url)
    try:
        return code, out, stored(engine, "invoice"), quarantined(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("row2", [
    b'INV-0001,"Beta Ltd,2024-01-05,2024-02-04,120.00,120.00,\n',  # never closed
    b'INV-0001,Beta Ltd,2024-01-05,2024-02-04,120.00,120.00,"memo\n',  # in the last field
], ids=["in-a-name", "in-the-last-field"])
def test_an_unbalanced_quote_loses_no_row(tmp_path: Path, store_url: str,
                                          capsys: pytest.CaptureFixture[str], row2: bytes) -> None:
    """Six rows, a quote left open in row 2: five stored, row 2 quarantined naming line 3."""
    data = HEADER + _line(0) + row2 + b"".join(_line(i) for i in range(2, 6))
    code, _, kept, held = _sync(tmp_path, store_url, capsys, data)
    assert code == 3
    assert sorted(kept) == ["INV-0000", "INV-0002", "INV-0003", "INV-0004", "INV-0005"]
    [entry] = held
    assert entry["location"] == "invoices.csv:3"
    assert entry["reason"] == (
        "a quote opened on line 3 is not closed: the field runs on into line 4, which reads "
        "as a row of its own; the lines after it are read as rows")


def test_an_unbalanced_quote_closed_by_a_later_stray_quote_loses_no_row(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The case of issue 21: the rows between two stray quotes became one customer name and
    the sync exited 0 with 3 of 6 rows gone."""
    rows = [_line(i) for i in range(6)]
    rows[1] = rows[1].replace(b",Customer 1,", b',"Customer 1,')
    rows[4] = rows[4].replace(b",Customer 4,", b',"Customer 4,')
    code, _, kept, held = _sync(tmp_path, store_url, capsys, HEADER + b"".join(rows))
    assert code == 3
    assert sorted(kept) == ["INV-0000", "INV-0002", "INV-0003", "INV-0005"]
    assert [(e["location"], e["reason"][:34]) for e in held] == [
        ("invoices.csv:3", "a quote opened on line 3 is not cl"),
        ("invoices.csv:6", "a quote opened on line 6 is not cl")]


def test_a_quote_open_at_the_end_of_the_file_is_quarantined(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = HEADER + _line(0) + _line(1) + b'INV-0002,"Gamma,2024-01-05,2024-02-04,1.00,1.00,\n'
    code, _, kept, held = _sync(tmp_path, store_url, capsys, data)
    assert code == 3 and sorted(kept) == ["INV-0000", "INV-0001"]
    assert [e["reason"] for e in held] == [
        "a quote opened on line 4 is not closed: the file ends inside it; the lines after it "
        "are read as rows"]


def test_a_quoted_line_break_is_still_one_row(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = (HEADER + _line(0)
            + b'INV-0001,"Acme, Inc",2024-01-05,2024-02-04,1.00,1.00,"first line\r\n'
              b'second, line ""quoted""\nthird"\n' + _line(2))
    code, _, kept, held = _sync(tmp_path, store_url, capsys, data)
    assert code == 0 and held == []
    assert kept["INV-0001"]["memo"] == 'first line\r\nsecond, line "quoted"\nthird'
    assert kept["INV-0001"]["customer_name"] == "Acme, Inc"


def test_a_quote_open_past_the_cell_limit_is_reported(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Lines that never read as rows of their own (one field each) are swallowed only up to
    ``max_cell_bytes``; then the quote is reported and the lines read as rows."""
    data = (HEADER + _line(0) + b'INV-0001,Beta,2024-01-05,2024-02-04,1.00,1.00,"memo\n'
            + b"".join(b"more text %d\n" % i for i in range(20)) + _line(2))
    code, _, kept, held = _sync(tmp_path, store_url, capsys, data,
                                "max_cell_bytes = 100\nmax_row_bytes = 1000\n")
    assert code == 3 and sorted(kept) == ["INV-0000", "INV-0002"]
    assert held[0]["reason"].startswith(
        "a quote opened on line 3 is not closed: the field is still open after 1")
    assert all("fields but the header has 7" in e["reason"] for e in held[1:])
    assert len(held) == 21  # the row of the quote, and each of the 20 lines after it


def test_a_field_count_mismatch_says_both_counts(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = HEADER + _line(0) + b"INV-0001,Beta,2024-01-05,2024-02-04,1.00\n" + _line(2)
    code, _, kept, held = _sync(tmp_path, store_url, capsys, data)
    assert code == 3 and len(kept) == 2
    assert [(e["location"], e["reason"][:41]) for e in held] == [
        ("invoices.csv:3", "the row has 5 fields but the header has 7")]


@pytest.mark.parametrize("byte", [b"\xff", b"\x81"], ids=["0xFF", "0x81-not-in-cp1252"])
def test_one_bad_byte_quarantines_its_row_only(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str], byte: bytes) -> None:
    """UTF-8 is strict: ``Müller GmbH`` stays ``Müller GmbH``; the row with the bad byte is
    quarantined with the byte's offset (before: the whole file read as cp1252, or a
    UnicodeDecodeError traceback)."""
    rows = [_line(i) for i in range(4)]
    rows[0] = rows[0].replace(b"Customer 0", "Müller GmbH".encode())
    rows[2] = rows[2].replace(b"Customer 2", b"Bad " + byte + b" Co")
    data = HEADER + b"".join(rows)
    code, _, kept, held = _sync(tmp_path, store_url, capsys, data)
    assert code == 3
    assert kept["INV-0000"]["customer_name"] == "Müller GmbH"
    assert sorted(kept) == ["INV-0000", "INV-0001", "INV-0003"]
    offset = data.index(byte)
    [entry] = held
    assert entry["location"] == "invoices.csv:4"
    assert entry["reason"].startswith(
        f"byte 0x{byte[0]:02X} at byte offset {offset} (line 4) is not valid UTF-8")


def test_a_bom_is_not_part_of_the_first_column(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, kept, _ = _sync(tmp_path, store_url, capsys, b"\xef\xbb\xbf" + HEADER + _line(0))
    assert code == 0 and list(kept) == ["INV-0000"]


def test_another_encoding_only_when_configured_or_detected_and_said(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [_line(i) for i in range(30)]
    rows[3] = rows[3].replace(b"Customer 3", "Café Müller".encode("cp1252"))
    code, out, kept, held = _sync(tmp_path, store_url, capsys, HEADER + b"".join(rows))
    assert code == 0 and held == [] and kept["INV-0003"]["customer_name"] == "Café Müller"
    assert "invoices.csv read as " in out and "charset-normalizer is confident" in out
    # French and German letters that single-byte encodings read differently: not confident,
    # so UTF-8, and the rows say what to set; configured, they import.
    rows[5] = rows[5].replace(b"Customer 5", "Crème Brändle ë".encode("cp1252"))
    code, out, kept, held = _sync(tmp_path, store_url, capsys, HEADER + b"".join(rows))
    assert code == 3 and "read as" not in out
    assert {e["location"] for e in held} == {"invoices.csv:5", "invoices.csv:7"}
    assert all('set it: `encoding = "cp1252"`' in e["reason"] for e in held)
    code, out, kept, held = _sync(tmp_path, store_url, capsys, HEADER + b"".join(rows),
                                  'encoding = "cp1252"\n')
    assert code == 0 and kept["INV-0005"]["customer_name"] == "Crème Brändle ë"


def test_a_ten_megabyte_cell_is_quarantined_with_its_size_and_a_sample(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [_line(i) for i in range(5)]
    rows[2] = rows[2].replace(b",Customer 2,", b"," + b"N" * 10_000_000 + b",")
    code, _, kept, held = _sync(tmp_path, store_url, capsys, HEADER + b"".join(rows))
    assert code == 3 and sorted(kept) == ["INV-0000", "INV-0001", "INV-0003", "INV-0004"]
    [entry] = held
    assert entry["reason"] == ("the row is 10,000,047 bytes long; rows are limited to "
                               "1,048,576 bytes (max_row_bytes)")
    assert len(entry["raw"]) < 1000 and '"_bytes":10000047' in entry["raw"]


def test_a_cell_over_its_configured_limit_is_quarantined(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [_line(i) for i in range(3)]
    rows[1] = rows[1].replace(b",Customer 1,", b"," + b"x" * 70_000 + b",")
    code, _, kept, held = _sync(tmp_path, store_url, capsys, HEADER + b"".join(rows))
    assert code == 3 and sorted(kept) == ["INV-0000", "INV-0002"]
    assert [e["reason"] for e in held] == [
        "field 2 is 70,000 bytes long; cells are limited to 65,536 bytes (max_cell_bytes)"]
    assert len(held[0]["raw"]) < 1000
