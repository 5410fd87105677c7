"""File shapes real exports have: lines above the header, no header, totals at the end,
money out in a payment export. Driven through ``billing-hub`` with a config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from hub.cli import exits
from tests.support.hub import cli, quarantined, stored, write_config


def _run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    return cli(capsys, "--config", str(config), *args)


def _live(store_url: str, entity: str) -> list[dict[str, str]]:
    engine = create_engine(store_url)
    try:
        return sorted(stored(engine, entity).values(), key=lambda r: str(r))
    finally:
        engine.dispose()


def _open_entries(store_url: str) -> list[dict[str, object]]:
    engine = create_engine(store_url)
    try:
        return quarantined(engine)
    finally:
        engine.dispose()


BANK = """\
[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
defaults = {{ currency = "EUR" }}
{extra}
"""


def test_quarantine_names_the_files_own_lines(tmp_path: Path, store_url: str,
                                              capsys: pytest.CaptureFixture[str],
                                              wide_console: None) -> None:
    config = write_config(tmp_path, store_url, BANK.format(extra="""\
skip_rows = 2
columns = { booked_date = "Date", description = "Text", amount = "Amount" }
"""))
    (tmp_path / "bank.csv").write_text(
        "Account statement\n"                      # 1
        "IBAN DE00 1234\n"                          # 2
        "Date,Text,Amount\n"                        # 3: the header
        "2026-03-01,\"Rent\nMarch\nflat 2\",-900.00\n"  # 4-6: one row over three lines
        "2026-03-02,Coffee,four euros\n"            # 7
        "\n"                                        # 8
        "2026-03-32,Deposit,100.00\n"               # 9
        "2026-03-04,\"Two\nlines\",1O.00\n",        # 10-11
        "utf-8")
    code, out, _ = _run(capsys, config, "sync", "--no-progress")
    assert code == exits.QUARANTINED
    entries = {e["location"]: e["reason"] for e in _open_entries(store_url)}
    assert sorted(entries) == ["bank.csv:10", "bank.csv:7", "bank.csv:9"]
    assert "'four euros' is not an amount" in str(entries["bank.csv:7"])
    code, out, _ = _run(capsys, config, "quarantine", "list")
    assert "bank.csv:7" in out and "bank.csv:9" in out and "bank.csv:10" in out


def test_a_file_without_header_names_columns_by_position(tmp_path: Path, store_url: str,
                                                         capsys: pytest.CaptureFixture[str],
                                                         wide_console: None) -> None:
    config = write_config(tmp_path, store_url, BANK.format(extra="""\
header = false
delimiter = ";"
decimal = ","
date_format = "%d.%m.%Y"
columns = { booked_date = "col1", counterparty = "col2", description = ["col3", "col4"], amount = "COL5" }
"""))  # noqa: E501
    (tmp_path / "bank.csv").write_text(
        "01.03.2026;Acme GmbH;SEPA;INV-1001;120,00\n"
        "02.03.2026;Café Nord;Card;;-4,50\n"
        "03.03.2026;Beta SA;SEPA;INV-1002;8O,00\n", "utf-8")
    code, _, _ = _run(capsys, config, "sync", "--no-progress")
    assert code == exits.QUARANTINED
    acme, cafe = sorted(_live(store_url, "bank_transaction"), key=lambda r: r["booked_date"])
    assert (acme["counterparty"], acme["description"], acme["amount"]) == (
        "Acme GmbH", "SEPA INV-1001", "120.00")
    assert cafe["amount"] == "-4.50" and cafe["booked_date"] == "2026-03-02"
    (bad,) = _open_entries(store_url)
    assert bad["location"] == "bank.csv:3"  # the first line is data, not a header
    assert '"col5":"8O,00"' in str(bad["raw"])


def test_header_false_refuses_column_names_in_config_check(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str],
        wide_console: None) -> None:
    config = write_config(tmp_path, store_url, BANK.format(extra="""\
header = false
columns = { booked_date = "Date", amount = "col3" }
"""))
    code, _, err = _run(capsys, config, "config", "check")
    assert code == exits.USAGE
    assert "with header = false, name columns by position" in err and "'Date'" in err


def test_footer_rules_skip_totals_and_say_so(tmp_path: Path, store_url: str,
                                             capsys: pytest.CaptureFixture[str],
                                             wide_console: None) -> None:
    config = write_config(tmp_path, store_url, BANK.format(extra="""\
skip_footer = 1
skip_when = [{ column = "Date", matches = "^(total|closing balance|saldo)" }]
columns = { booked_date = "Date", description = "Text", amount = "Amount" }
"""))
    (tmp_path / "bank.csv").write_text(
        "Date,Text,Amount\n"
        "2026-03-01,Rent,-900.00\n"
        "2026-03-02,Deposit,1000.00\n"
        "Total,,100.00\n"
        "Closing balance,2300.00\n"        # fewer fields: skipped, not a malformed row
        "\n"
        "2 transactions\n"
        "\n", "utf-8")
    code, out, _ = _run(capsys, config, "sync", "--no-progress")
    assert code == exits.OK, out
    assert _open_entries(store_url) == []
    assert len(_live(store_url, "bank_transaction")) == 2
    assert ("bank/bank_transaction: 2 rows skipped by rule "
            "(Date matches '^(total|closing balance|saldo)')") in out
    assert "bank/bank_transaction: 1 row skipped by rule (skip_footer = 1)" in out
    code, out, _ = _run(capsys, config, "sync", "--no-progress")
    assert code == exits.OK and "2 rows skipped by rule" in out


@pytest.mark.parametrize(("setting", "problem"), [
    ('skip_footer = -1', "skip_footer: Input should be greater than or equal to 0"),
    ('skip_when = [{ column = "Date", matches = "^(Total" }]',
     "'^(Total' is not a regular expression"),
    ('skip_when = [{ column = "Date", match = "^Total" }]', "matches: Field required"),
])
def test_skip_rules_are_checked_by_config_check(tmp_path: Path, store_url: str,
                                                capsys: pytest.CaptureFixture[str],
                                                wide_console: None, setting: str,
                                                problem: str) -> None:
    config = write_config(tmp_path, store_url, BANK.format(extra=f"""\
{setting}
columns = {{ booked_date = "Date", amount = "Amount" }}
"""))
    code, _, err = _run(capsys, config, "config", "check")
    assert code == exits.USAGE and problem in err


def test_a_skip_rule_on_a_missing_column_is_a_clear_error(tmp_path: Path, store_url: str,
                                                          capsys: pytest.CaptureFixture[str],
                                                          wide_console: None) -> None:
    config = write_config(tmp_path, store_url, BANK.format(extra="""\
skip_when = [{ column = "Datum", matches = "^Total" }]
columns = { booked_date = "Date", amount = "Amount" }
"""))
    (tmp_path / "bank.csv").write_text("Date,Amount\n2026-03-01,1.00\n", "utf-8")
    code, _, err = _run(capsys, config, "sync", "--no-progress")
    assert code == exits.FAILED
    assert "column 'Datum' (in `skip_when`) is not in the header" in err


PAYMENTS = """\
[connectors.pay]
type = "csv"
[[connectors.pay.files]]
path = "payments.csv"
entity = "payment"
defaults = {{ currency = "USD" }}
columns = {{ received_date = "Date", amount = "Amount", payer_name = "From" }}
{extra}
"""


def _payments(folder: Path) -> None:
    (folder / "payments.csv").write_text(
        "Date,Amount,From\n"
        "2026-03-01,250.00,Acme\n"
        "2026-03-02,-40.00,Bank fee\n"
        "2026-03-03,0.00,Card check\n"
        "2026-03-04,99.00,Beta\n", "utf-8")


def test_money_out_in_a_payment_file_is_skipped_and_counted(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str],
        wide_console: None) -> None:
    config = write_config(tmp_path, store_url, PAYMENTS.format(extra=""))
    _payments(tmp_path)
    for _ in range(2):
        code, out, _ = _run(capsys, config, "sync", "--no-progress")
        assert code == exits.OK, out
        assert ("pay/payment: 2 rows of money out skipped (a payment file holds receipts; "
                "map a bank statement as bank_transaction to keep them)") in out
    assert _open_entries(store_url) == []
    assert sorted(p["amount"] for p in _live(store_url, "payment")) == ["250.00", "99.00"]


def test_money_out_can_be_quarantined_instead(tmp_path: Path, store_url: str,
                                              capsys: pytest.CaptureFixture[str],
                                              wide_console: None) -> None:
    config = write_config(tmp_path, store_url, PAYMENTS.format(extra='money_out = "quarantine"'))
    _payments(tmp_path)
    code, out, _ = _run(capsys, config, "sync", "--no-progress")
    assert code == exits.QUARANTINED and "money out" not in out
    reasons = sorted(str(e["reason"]) for e in _open_entries(store_url))
    assert len(reasons) == 2 and all("amount must be positive" in r for r in reasons)


def test_money_out_is_for_payment_files_only(tmp_path: Path, store_url: str,
                                             capsys: pytest.CaptureFixture[str],
                                             wide_console: None) -> None:
    config = write_config(tmp_path, store_url, BANK.format(extra="""\
money_out = "skip"
columns = { booked_date = "Date", amount = "Amount" }
"""))
    code, _, err = _run(capsys, config, "config", "check")
    assert code == exits.USAGE and "money_out applies to payment files only" in err
