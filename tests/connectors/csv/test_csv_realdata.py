"""Every real export in tests/data/bank-exports imports with its example mapping."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.hub import hub, quarantined, stored
from tests.support.paths import DATA, ROOT

EXPORTS = DATA / "bank-exports"
EXAMPLES = ROOT / "config" / "examples"

CASES = {
    # example config: (csv file, entity, rows expected)
    "capitalone.toml": ("capitalone.csv", "bank_transaction", 2),
    "gls.toml": ("gls.csv", "bank_transaction", 1),
    "ingesp.toml": ("ingesp.csv", "bank_transaction", 10),
    "n26-fr.toml": ("n26-fr.csv", "bank_transaction", 2),
    "outbank.toml": ("outbank.csv", "bank_transaction", 4),
    "payoneer.toml": ("payoneer.csv", "bank_transaction", 2),
    "schwab-checking.toml": ("schwab-checking.csv", "bank_transaction", 4),
    "stripe-all.toml": ("stripe-all.csv", "payment", 5),
    "stripe-default.toml": ("stripe-default.csv", "payment", 5),
    "ubs-ch-fr.toml": ("ubs-ch-fr_trimmed.csv", "bank_transaction", 3),
}


def test_every_example_has_a_case() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == sorted(CASES)


@pytest.mark.parametrize("example", sorted(CASES))
def test_real_export_imports(example: str, tmp_path: Path, store_url: str) -> None:
    csv_name, entity, expected = CASES[example]
    shutil.copy(EXPORTS / csv_name, tmp_path / csv_name)
    body = (EXAMPLES / example).read_text(encoding="utf-8")
    with hub(tmp_path, store_url, body) as (sync, engine, config):
        (instance,) = config.connectors
        first = sync.sync(instance)
        assert first.status == "succeeded"
        assert quarantined(engine) == []
        assert first.counts[entity].created == expected
        second = sync.sync(instance)
        assert second.counts[entity].unchanged == expected
        assert second.counts[entity].created == second.counts[entity].updated == 0
        data = stored(engine, entity)
    assert len(data) == expected
    for record in data.values():
        assert Decimal(record["amount"]) == Decimal(record["amount"]).quantize(Decimal("0.01"))


def _one(tmp_path: Path, store_url: str, example: str) -> dict[str, dict[str, object]]:
    csv_name, entity, _ = CASES[example]
    shutil.copy(EXPORTS / csv_name, tmp_path / csv_name)
    with hub(tmp_path, store_url, (EXAMPLES / example).read_text(encoding="utf-8")) as (
        sync, engine, config,
    ):
        sync.sync(next(iter(config.connectors)))
        return stored(engine, entity)


def test_gls_latin1_decimal_comma(tmp_path: Path, store_url: str) -> None:
    (row,) = _one(tmp_path, store_url, "gls.toml").values()
    assert row["amount"] == "-98.76"
    assert row["balance_after"] == "1234.56"
    assert row["currency"] == "EUR"
    assert row["booked_date"] == "2017-10-10"
    assert row["counterparty"] == "Drillisch Online AG"
    assert "SIMply Rechnung" in row["description"]


def test_ubs_apostrophe_thousands_and_debit_credit(tmp_path: Path, store_url: str) -> None:
    data = _one(tmp_path, store_url, "ubs-ch-fr.toml")
    assert data["A01234BC01234567"]["amount"] == "-10.00"
    assert data["A01234BC01234567"]["balance_after"] == "11373.94"
    assert data["3456789ZT1234567"]["amount"] == "240.00"
    assert data["3456789ZT1234567"]["booked_date"] == "2019-02-28"
    assert data["3456789ZT1234567"]["currency"] == "CHF"


def test_outbank_two_digit_years_and_comma(tmp_path: Path, store_url: str) -> None:
    rows = sorted(_one(tmp_path, store_url, "outbank.toml").values(),
                  key=lambda r: r["booked_date"])
    assert [r["booked_date"] for r in rows][-3:] == ["2019-01-21", "2019-02-08", "2019-02-20"]
    assert [r["amount"] for r in rows][-3:] == ["-47.00", "-63.89", "100.00"]
    assert all(r["currency"] == "EUR" for r in rows)


def test_schwab_dollar_signs(tmp_path: Path, store_url: str) -> None:
    rows = _one(tmp_path, store_url, "schwab-checking.toml").values()
    amounts = sorted(Decimal(r["amount"]) for r in rows)
    assert amounts[-1] == Decimal("20.00")
    assert Decimal("-103.00") in amounts


def test_stripe_export_payments(tmp_path: Path, store_url: str) -> None:
    data = _one(tmp_path, store_url, "stripe-default.toml")
    pay = data["ch_1IGl9SBI9JK85yVZtjcU9OLJ"]
    assert pay["amount"] == "25.00"
    assert pay["fee"] == "1.03"
    assert pay["currency"] == "CAD"
    assert pay["received_date"] == "2021-02-03"
    assert pay["status"] == "succeeded"
