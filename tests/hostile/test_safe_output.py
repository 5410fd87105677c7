"""Safe output: what outside systems wrote never runs in the coordinator's spreadsheet or
terminal. Every CSV the hub writes (``export``, ``report --format csv``, ``cash --format
csv``) neutralises the cells a spreadsheet would evaluate in any locale, and the terminal
never receives a control character that came with the data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from hub.reports.export import safe_cell
from tests.support.company import BODY, PAYMENTS, SHOP, write_company
from tests.support.hub import cli, write_config

STARTERS = "=+-@\t\r|\uff1d\uff0b\uff0d\uff20\uff5c\ufe66\ufe62\ufe63\ufe6b\u2212"
HOSTILE_NAMES = [
    ";=5+5",                       # a formula once the file is opened with ';' as separator
    "\uff1d4+4",                   # full-width '=', read as '=' by some input methods
    "\uff0bcmd|' /C calc'!A0",     # full-width '+'
    "\ufe62SUM(A1:A9)",            # small '+'
    "\ufeff=1+1",                  # a byte-order mark before it
    "Acme\t=HYPERLINK(\"http://x\")",  # after a tab
    "Globex|@SUM(1)",              # after a '|'
    "Initech, =2+2",               # after a comma and a space
]


def _cells_as_split(line: str, separator: str) -> list[str]:
    """How a spreadsheet that ignores the file's quoting would split ``line``."""
    return line.split(separator)


def _evaluable(cell: str) -> bool:
    text = cell.lstrip(" \ufeff\u200b\u00a0\"")
    return bool(text) and text[0] in STARTERS and not _number(text)


def _number(text: str) -> bool:
    try:
        float(text.strip().strip('"'))
    except ValueError:
        return False
    return True


def _assert_safe(text: str) -> None:
    """Whatever the separator a spreadsheet splits on, no cell starts as a formula; and
    read as the CSV it is, every cell that held a separator came back whole."""
    for line in text.splitlines():
        for separator in ",;\t|":
            bad = [c for c in _cells_as_split(line, separator) if _evaluable(c)]
            assert not bad, (separator, line)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_export_neutralises_formulas_in_any_locale(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str], name: str) -> None:
    (tmp_path / "customers.csv").write_text(
        "Id,Name\nC1,Plain Co\nC2," + _quoted(name) + "\n", encoding="utf-8")
    config = write_config(tmp_path, store_url, """
        [connectors.crm]
        type = "csv"
        [[connectors.crm.files]]
        path = "customers.csv"
        entity = "customer"
        id_columns = ["Id"]
        columns = { name = "Name" }
    """)
    code, _, _ = cli(capsys, "-c", str(config), "sync")
    assert code == 0
    out = tmp_path / "customers-out.csv"
    code, _, _ = cli(capsys, "-c", str(config), "export", "customer", "-o", str(out))
    assert code == 0
    text = out.read_text(encoding="utf-8-sig")
    _assert_safe(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    [row] = [r for r in rows if r["external_id"] == "C2"]
    assert row["name"] == safe_cell(name.strip())
    assert row["name"].replace("'", "") == name.strip().replace("'", "")  # nothing else lost


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def test_a_semicolon_cell_is_quoted_and_its_formula_neutralised() -> None:
    assert safe_cell(";=5+5") == ";'=5+5"
    assert safe_cell("\uff1d4+4") == "'\uff1d4+4"
    assert safe_cell("\t=1") == "'\t'=1"  # a tab first: split on tabs, then '=1'
    assert safe_cell("1;-2") == "1;-2"  # numbers stay numbers, also once split
    assert safe_cell("Smith; Jones") == "Smith; Jones"


def test_report_and_cash_csv_are_safe(tmp_path: Path, store_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    write_company(tmp_path)
    evil = PAYMENTS.replace("Nobody Ltd,,\nP7", "\"Nobody;=5+5\",\"\uff1dcmd\",\nP7")
    evil = evil.replace("Wayne Enterprises,,", "\"=HYPERLINK(\"\"http://x\"\")\",,")
    (tmp_path / "payments.csv").write_text(evil, encoding="utf-8")
    (tmp_path / "shop.csv").write_text(
        (tmp_path / "shop.csv").read_text().replace("Soylent", "Soylent;@SUM(1)"))
    config = str(write_config(tmp_path, store_url, BODY))
    assert cli(capsys, "-c", config, "sync")[0] == 0
    assert cli(capsys, "-c", config, "reconcile")[0] in (0, 1)
    code, report, _ = cli(capsys, "-c", config, "report", "--format", "csv")
    assert code == 0 and "Soylent" in report
    _assert_safe(report)
    code, cash, _ = cli(capsys, "-c", config, "cash", "--format", "csv")
    assert code == 0 and "Nobody" in cash and "HYPERLINK" in cash
    _assert_safe(cash)


@pytest.mark.usefixtures("wide_console")
def test_names_with_escape_sequences_reach_the_terminal_without_them(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    write_company(tmp_path)
    (tmp_path / "shop.csv").write_text(
        SHOP.replace("Soylent", "Soylent\x1b[2J\x1b[H Ltd\x9b2J\u202e"), encoding="utf-8")
    config = str(write_config(tmp_path, store_url, BODY))
    assert cli(capsys, "-c", config, "sync")[0] == 0
    assert cli(capsys, "-c", config, "reconcile")[0] in (0, 1)
    code, out, err = cli(capsys, "-c", config, "report")
    assert code == 0
    assert "Soylent[2J[H Ltd2J" in out  # shown, without what would clear the screen
    for char in "\x1b\x9b\u202e\x07":
        assert char not in out + err


def test_the_hubs_own_styles_still_reach_the_terminal() -> None:
    """Rich's styles are its own control codes, not text: they are kept."""
    from rich.console import Console

    from hub.cli.console import DataConsole, styled

    buffer = io.StringIO()
    console = DataConsole(file=buffer, force_terminal=True, color_system="standard",
                          markup=False, highlight=False)
    console.print(styled("[yellow]stopped.[/] name: "), "Evil\x1b[2J Co", end="")
    text = buffer.getvalue()
    assert "\x1b[33mstopped.\x1b[0m" in text  # the hub's yellow, as rich writes it
    assert "Evil[2J Co" in text and "\x1b[2J" not in text
    plain = io.StringIO()
    Console(file=plain, force_terminal=True, markup=False, highlight=False).print(
        "Evil\x1b[2J Co", end="")
    assert "\x1b[2J" in plain.getvalue()  # what a plain console would have let through
