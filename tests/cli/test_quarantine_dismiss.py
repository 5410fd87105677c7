"""``billing-hub quarantine dismiss|restore``: a row a person knows to be noise stops failing
the sync, stays dismissed when seen again, and the audit log says who and why."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from hub.cli import exits
from tests.support.hub import cli, write_config

BANK = """\
[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
defaults = { currency = "EUR" }
columns = { booked_date = "Date", description = "Text", amount = "Amount" }
"""


@pytest.fixture
def config(tmp_path: Path, store_url: str, wide_console: None) -> Path:
    (tmp_path / "bank.csv").write_text(
        "Date,Text,Amount\n"
        "2026-03-01,Rent,-900.00\n"
        "pending,Card authorisation,-12.00\n", "utf-8")
    return write_config(tmp_path, store_url, BANK)


def test_dismiss_stops_the_row_failing_syncs_and_restore_brings_it_back(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        return cli(capsys, "--config", str(config), *args)

    assert run("sync", "--no-progress")[0] == exits.QUARANTINED
    code, out, _ = run("quarantine", "list")
    assert "bank.csv:3" in out and "open" in out
    entry_id = next(ln.split("│")[1].strip() for ln in out.splitlines() if "bank.csv:3" in ln)

    code, _, err = run("quarantine", "dismiss", entry_id, "--reason", "  ")
    assert code != exits.OK and "say why" in err
    code, out, _ = run("quarantine", "dismiss", entry_id, "--reason",
                       "card holds are not bookings")
    assert code == exits.OK and "dismissed" in out

    assert run("quarantine", "list")[1].startswith("Nothing in quarantine.")
    code, out, _ = run("quarantine", "list", "--all")
    assert "bank.csv:3" in out and "dismissed" in out

    code, out, _ = run("sync", "--no-progress")  # the same raw row again
    assert code == exits.OK, out
    assert "dismissed" in out  # the summary counts the dismissed row it saw again
    assert run("quarantine", "list")[1].startswith("Nothing in quarantine.")
    code, out, _ = run("quarantine", "show", entry_id)
    assert "[dismissed]" in out and "seen:    2x" in out
    assert f"dismissed by {getpass.getuser()}" in out and "card holds are not bookings" in out

    code, _, err = run("quarantine", "dismiss", entry_id, "--reason", "again")
    assert code != exits.OK and "only an open entry can be dismissed" in err

    assert run("quarantine", "restore", entry_id)[0] == exits.OK
    assert run("sync", "--no-progress")[0] == exits.QUARANTINED
    code, out, _ = run("quarantine", "show", entry_id)
    assert "[open]" in out and f"restored by {getpass.getuser()}" in out


def test_a_changed_row_is_a_new_entry(config: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        return cli(capsys, "--config", str(config), *args)

    run("sync", "--no-progress")
    run("quarantine", "dismiss", "1", "--reason", "noise")
    (tmp_path / "bank.csv").write_text(
        "Date,Text,Amount\n2026-03-01,Rent,-900.00\npending,Card authorisation,-13.00\n")
    assert run("sync", "--no-progress")[0] == exits.QUARANTINED
    out = run("quarantine", "list")[1]
    assert "bank.csv:3" in out and "open" in out
