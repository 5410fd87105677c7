"""Bank lines without an id column: one record per row, through re-imports, edits and removals.

Every test drives ``billing-hub`` with a config file, as an operator would.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from hub.cli import exits
from tests.support.hub import cli, quarantined, stored, write_config

BANK = """\
[connectors.bank]
type = "csv"
{extra}
[[connectors.bank.files]]
path = "bank.csv"
preset = "bank-statement"
"""

HEADER = "Date,Amount,Currency,Counterparty,Description,Reference\n"
ROWS = [
    "2026-03-02,120.00,EUR,Acme GmbH,SEPA credit,INV-1001",
    "2026-03-02,-4.50,EUR,Café Nord,Card payment,",
    "2026-03-02,-4.50,EUR,Café Nord,Card payment,",
    "2026-03-03,80.00,EUR,Beta SA,SEPA credit,INV-1002",
]


class Bank:
    """A bank.csv beside a config, synced through the CLI."""

    def __init__(self, folder: Path, store_url: str, capsys: pytest.CaptureFixture[str],
                 extra: str = "") -> None:
        self.folder, self.store_url, self.capsys = folder, store_url, capsys
        self.config = write_config(folder, store_url, BANK.format(extra=extra))

    def write(self, rows: list[str]) -> None:
        (self.folder / "bank.csv").write_text(HEADER + "".join(r + "\n" for r in rows), "utf-8")

    def sync(self, *args: str) -> tuple[int, str]:
        code, out, _ = cli(self.capsys, "--config", str(self.config), "sync", "--no-progress",
                           *args)
        return code, out

    def live(self) -> list[dict[str, str]]:
        engine = create_engine(self.store_url)
        try:
            return sorted(stored(engine, "bank_transaction").values(),
                          key=lambda r: (r["booked_date"], r["amount"], r.get("description", "")))
        finally:
            engine.dispose()

    def total(self) -> Decimal:
        return sum((Decimal(r["amount"]) for r in self.live()), Decimal(0))


def row_counts(out: str) -> list[str]:
    """The numbers of the sync table's bank_transaction row (new, updated, unchanged ...)."""
    line = next(ln for ln in out.splitlines() if "bank_transaction" in ln)
    return [cell.strip() for cell in line.split("│")[3:-2]]


@pytest.fixture
def bank(tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str],
         wide_console: None) -> Bank:
    return Bank(tmp_path, store_url, capsys)


def test_reimport_creates_nothing_and_twin_rows_stay_two(bank: Bank) -> None:
    bank.write(ROWS)
    code, out = bank.sync()
    assert code == exits.OK and row_counts(out) == ["4", "0", "0", "0"]
    code, out = bank.sync()
    assert code == exits.OK and row_counts(out) == ["0", "0", "4", "0"]
    coffees = [r for r in bank.live() if r["counterparty"] == "Café Nord"]
    assert len(coffees) == 2 and bank.total() == Decimal("191.00")


def test_bank_statement_preset_maps_counterparty_and_reference(bank: Bank) -> None:
    bank.write(ROWS[:1])
    assert bank.sync()[0] == exits.OK
    (line,) = bank.live()
    assert line["counterparty"] == "Acme GmbH" and line["reference"] == "INV-1001"
    assert line["description"] == "SEPA credit" and line["currency"] == "EUR"
    assert line["amount"] == "120.00" and line["booked_date"] == "2026-03-02"


def test_editing_the_text_of_a_row_updates_its_record(bank: Bank) -> None:
    bank.write(ROWS)
    bank.sync()
    edited = [*ROWS]
    edited[2] = "2026-03-02,-4.50,EUR,Café Nord,Card payment - team coffee,"
    edited[0] = "2026-03-02,120.00,EUR,ACME  GmbH,SEPA credit, INV-1001 / INV-1003"
    edited[3] = "2026-03-03,80.00,CHF,Beta SA,SEPA credit,INV-1002"
    bank.write(edited)
    code, out = bank.sync()
    assert code == exits.OK and row_counts(out) == ["0", "3", "1", "0"]
    live = bank.live()
    assert len(live) == 4 and bank.total() == Decimal("191.00")
    assert [r["currency"] for r in live if r["counterparty"] == "Beta SA"] == ["CHF"]
    assert {r["description"] for r in live if r["counterparty"] == "Café Nord"} == {
        "Card payment", "Card payment - team coffee"}
    assert any(r["reference"] == "INV-1001 / INV-1003" for r in live)


def test_an_amount_edit_replaces_the_record_and_counts_the_money_once(bank: Bank) -> None:
    bank.write(ROWS)
    bank.sync()
    edited = [*ROWS]
    edited[3] = "2026-03-03,800.00,EUR,Beta SA,SEPA credit,INV-1002"  # a typo corrected
    bank.write(edited)
    code, out = bank.sync()
    assert code == exits.OK
    assert row_counts(out) == ["1", "0", "3", "0", "1"]  # new, ..., deleted
    assert len(bank.live()) == 4 and bank.total() == Decimal("911.00")


def test_removed_rows_are_deleted_and_come_back_if_the_row_does(bank: Bank) -> None:
    bank.write(ROWS)
    bank.sync()
    bank.write([ROWS[0], ROWS[1], ROWS[3]])  # one of the two coffees was a double export
    code, out = bank.sync()
    assert code == exits.OK and row_counts(out)[-1] == "1"
    assert len(bank.live()) == 3 and bank.total() == Decimal("195.50")
    bank.write(ROWS)
    code, out = bank.sync()
    assert row_counts(out) == ["0", "1", "3", "0"]  # revived, not created again
    assert len(bank.live()) == 4


def test_delete_on_full_sync_waits_for_sync_full(tmp_path: Path, store_url: str,
                                                  capsys: pytest.CaptureFixture[str],
                                                  wide_console: None) -> None:
    bank = Bank(tmp_path, store_url, capsys, extra='removed_rows = "delete-on-full-sync"')
    bank.write(ROWS)
    bank.sync()
    bank.write(ROWS[:2])
    assert bank.sync()[0] == exits.OK
    assert len(bank.live()) == 4
    code, out = bank.sync("--full")
    assert code == exits.OK and row_counts(out) == ["0", "0", "2", "0", "2"]
    assert [r["counterparty"] for r in bank.live()] == ["Café Nord", "Acme GmbH"]


def test_keep_never_deletes(tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str],
                            wide_console: None) -> None:
    bank = Bank(tmp_path, store_url, capsys, extra='removed_rows = "keep"')
    bank.write(ROWS)
    bank.sync()
    bank.write(ROWS[:1])
    assert bank.sync("--full")[0] == exits.OK
    assert len(bank.live()) == 4


def test_a_row_that_turns_bad_keeps_its_last_good_record(bank: Bank) -> None:
    bank.write(ROWS)
    bank.sync()
    edited = [*ROWS]
    edited[0] = "2026-03-02,120.00,EURO,Acme GmbH,SEPA credit,INV-1001"  # currency mistyped
    bank.write(edited)
    code, out = bank.sync()
    assert code == exits.QUARANTINED and row_counts(out) == ["0", "0", "3", "1"]
    engine = create_engine(bank.store_url)
    try:
        (entry,) = quarantined(engine)
    finally:
        engine.dispose()
    assert entry["location"] == "bank.csv:2" and '"Currency":"EURO"' in entry["raw"]
    # the row waits in quarantine; its last good record stands, nothing is deleted
    assert len(bank.live()) == 4 and bank.total() == Decimal("191.00")
    bank.write(ROWS)
    assert bank.sync()[0] == exits.OK


def test_a_row_with_a_bad_text_field_keeps_its_record(tmp_path: Path, store_url: str,
                                                      capsys: pytest.CaptureFixture[str],
                                                      wide_console: None) -> None:
    bank = Bank(tmp_path, store_url, capsys)
    bank.config.write_text(bank.config.read_text() + 'columns = { balance_after = "Balance" }\n')
    header = HEADER.rstrip("\n") + ",Balance\n"
    (tmp_path / "bank.csv").write_text(header + "2026-03-02,120.00,EUR,Acme,SEPA,X,500.00\n")
    bank.sync()
    (tmp_path / "bank.csv").write_text(header + "2026-03-02,120.00,EUR,Acme,SEPA,X,5OO.00\n")
    code, out = bank.sync()
    assert code == exits.QUARANTINED and row_counts(out) == ["0", "0", "0", "1"]
    (line,) = bank.live()
    assert line["balance_after"] == "500.00"  # the last good version stands


@pytest.mark.parametrize(("entity", "columns", "before", "after"), [
    ("payment", 'received_date = "Date", amount = "Amount", payer_name = "Payer", '
                'memo = "Memo", customer_ref = "Customer"',
     ["Date,Amount,Payer,Memo,Customer", "2026-03-02,50.00,Acme,wire,C1",
      "2026-03-02,50.00,Acme,wire,C1"],
     ["Date,Amount,Payer,Memo,Customer", "2026-03-02,50.00,Acme,wire,C1",
      "2026-03-02,50.00,Acme,wire for INV-7,C1"]),
    ("customer", 'name = "Name", email = "Email"',
     ["Name,Email", "Acme GmbH,billing@acme.test", "Beta SA,ap@beta.test"],
     ["Name,Email", "Acme GmbH,invoices@acme.test", "Beta SA,ap@beta.test"]),
])
def test_payments_and_customers_without_ids_update_in_place(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str], wide_console: None,
        entity: str, columns: str, before: list[str], after: list[str]) -> None:
    config = write_config(tmp_path, store_url, f"""\
[connectors.sheet]
type = "csv"
[[connectors.sheet.files]]
path = "sheet.csv"
entity = "{entity}"
defaults = {{ currency = "USD" }}
columns = {{ {columns} }}
""")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("\n".join(before) + "\n", "utf-8")
    assert cli(capsys, "--config", str(config), "sync", "--no-progress")[0] == exits.OK
    sheet.write_text("\n".join(after) + "\n", "utf-8")
    code, out, _ = cli(capsys, "--config", str(config), "sync", "--no-progress")
    line = next(ln for ln in out.splitlines() if f" {entity} " in ln)
    assert code == exits.OK and [c.strip() for c in line.split("│")[3:7]] == ["0", "1", "1", "0"]
    engine = create_engine(store_url)
    try:
        assert len(stored(engine, entity)) == 2
    finally:
        engine.dispose()


def test_a_shorter_export_over_the_file_deletes_nothing_until_sync_full(bank: Bank) -> None:
    month = [f"2026-03-{day:02d},{day}0.00,EUR,Acme GmbH,SEPA credit,INV-{day}"
             for day in range(1, 29)]
    bank.write(month)
    bank.sync()
    bank.write(month[-5:])  # next time the bank exported only the last five days
    code, out = bank.sync()
    assert code == exits.OK
    assert "23 stored records are no longer in the source and were kept" in " ".join(
        out.split())
    assert len(bank.live()) == 28  # nothing taken away by an ordinary sync
    code, out = bank.sync("--full")
    assert code == exits.OK and len(bank.live()) == 5
    month[3] = "2026-03-04,45.00,EUR,Acme GmbH,SEPA credit,INV-4"  # one amount corrected
    bank.write(month)
    bank.sync("--full")
    bank.write(month)
    assert len(bank.live()) == 28
    month[4] = "2026-03-05,55.00,EUR,Acme GmbH,SEPA credit,INV-5"
    bank.write(month)
    code, out = bank.sync()  # a small edit still replaces its record in one sync
    assert code == exits.OK and len(bank.live()) == 28
