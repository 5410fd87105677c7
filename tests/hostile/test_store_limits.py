"""One validation, both stores: a value the store cannot keep is quarantined by the model's
checks with a readable reason, and the rest of the page is stored, the same on SQLite and
PostgreSQL; a record the store refuses anyway never fails its page."""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import BaseModel, ValidationError

from hub.config import load_config
from hub.contract.connector import Connector, ConnectorSpec, EntitySupport
from hub.contract.hookspecs import hookimpl
from hub.contract.page import Page
from hub.models import ENTITY_MODELS, Customer, Invoice
from hub.models.limits import NAME_LENGTH, NUMBER_LENGTH
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store import open_store
from hub.store.schema import records
from hub.sync.engine import SyncEngine
from tests.hostile.support import good_row, invoice_csv
from tests.support.hub import cli, quarantined, stored, write_config

LONG_NAME = 501 * "x"
LONG_NUMBER = 201 * "9"


def _sync_bad_rows(tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str],
                   bad: dict[int, list[str]]) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    config = invoice_csv(tmp_path, store_url, bad)
    code, out, err = cli(capsys, "-c", str(config), "sync")
    assert "Traceback" not in out + err
    engine = open_store(store_url)
    try:
        return code, stored(engine, "invoice"), quarantined(engine)
    finally:
        engine.dispose()


def test_a_501_character_customer_name_is_quarantined_and_199_rows_stored(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = good_row(7)
    bad[1] = LONG_NAME
    code, kept, held = _sync_bad_rows(tmp_path, store_url, capsys, {7: bad})
    assert code == 3  # quarantined, not failed
    assert len(kept) == 199 and "INV-0007" not in kept
    [entry] = held
    assert entry["external_id"] == "INV-0007"
    assert entry["reason"] == "customer_name is 501 characters long; the store keeps at most 500"
    assert entry["location"] == "invoices.csv:9"


def test_a_201_character_invoice_number_is_quarantined(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = good_row(3)
    bad[0] = LONG_NUMBER
    code, kept, held = _sync_bad_rows(tmp_path, store_url, capsys, {3: bad})
    assert code == 3 and len(kept) == 199
    assert [e["reason"] for e in held] == [
        "number is 201 characters long; the store keeps at most 200"]


def test_a_nul_byte_in_a_name_is_quarantined(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = good_row(11)
    bad[1] = "Acme\x00 Ltd"
    code, kept, held = _sync_bad_rows(tmp_path, store_url, capsys, {11: bad})
    assert code == 3 and len(kept) == 199
    [entry] = held
    assert entry["reason"] == (
        "customer_name contains a NUL character, which a store cannot keep (at 4)")
    assert "\x00" not in entry["raw"]  # kept as JSON, escaped, and read back exactly
    assert "Acme\\u0000 Ltd" in entry["raw"]


def test_all_three_in_one_file_and_a_second_sync_changes_nothing(
        tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {5: good_row(5), 10: good_row(10), 20: good_row(20)}
    bad[5][1], bad[10][0], bad[20][1] = LONG_NAME, LONG_NUMBER, "Nul\x00Co"
    code, kept, held = _sync_bad_rows(tmp_path, store_url, capsys, bad)
    assert code == 3 and len(kept) == 197 and len(held) == 3
    code, kept, held = _sync_bad_rows(tmp_path, store_url, capsys, bad)
    assert code == 3 and len(kept) == 197
    assert [e["times_seen"] for e in held] == [2, 2, 2]


def test_the_models_limits_are_the_store_columns() -> None:
    """Each field a model limits fills a column of exactly that length (and back: every
    limited text column the records table has is limited in every model that fills it)."""
    columns = {c.name: c.type.length for c in records.columns
               if isinstance(c.type, sa.String) and c.type.length}
    assert columns["external_id"] == 500 and columns["source"] == 200
    assert columns["number"] == NUMBER_LENGTH
    assert columns["party"] == columns["customer_ref"] == NAME_LENGTH
    for model in ENTITY_MODELS.values():
        limits = dict(model.store_limits)
        assert limits["external_id"] == columns["external_id"]
        assert limits["source"] == columns["source"]
        for name in ("number", "reference", "statement_descriptor"):
            if name in model.model_fields and name in limits:
                assert limits[name] == columns["number"]
        if "status" in limits:
            assert limits["status"] == columns["status"]


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("name", "x" * 501, "name is 501 characters long; the store keeps at most 500"),
    ("email", "a@" + "b" * 600, "email is 602 characters long; the store keeps at most 500"),
    ("metadata", {"qbo": "5\x008"}, "metadata.qbo contains a NUL character"),
    ("aliases", ["ok", "y" * 501], "aliases[1] is 501 characters long"),
])
def test_a_customer_the_store_cannot_keep_is_refused_by_the_model(
        field: str, value: Any, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        Customer.model_validate({"source": "s", "external_id": "c1", "name": "n",
                                 field: value})


def test_a_ten_megabyte_value_is_not_quoted_in_the_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        Invoice.model_validate({"source": "s", "external_id": "1", "number": "1",
                                "customer_name": "x" * 10_000_000, "issue_date": "2024-01-01",
                                "currency": "USD", "total": "1.00"})
    assert len(str(caught.value)) < 1000


# ----------------------------------------------- a record the store refuses anyway
class UncheckedSettings(BaseModel):
    pass


class UncheckedConnector(Connector):
    """A plugin that builds one record without validating it (``model_construct``): an
    amount of 10**30 dollars, which no store keeps in minor units."""

    def entities(self) -> Sequence[str]:
        return ["invoice"]

    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        good = [Invoice(source=self.name, external_id=f"G{i}", number=f"G{i}",
                        issue_date="2024-01-01", currency="USD", total=Decimal("5.00"),
                        raw={"n": i}) for i in range(30)]
        huge = Invoice.model_construct(
            source=self.name, external_id="HUGE", number="HUGE", issue_date=date(2024, 1, 1),
            currency="USD", total=Decimal(10) ** 30, raw={"total": "1e30"})
        yield Page(records=[*good[:12], huge, *good[12:]], cursor="done",
                   locations={"HUGE": "api:HUGE"})


def _unchecked_plugin() -> object:
    def hub_connectors() -> Any:
        yield ConnectorSpec(name="unchecked", description="skips validation",
                            config_model=UncheckedSettings,
                            entities=(EntitySupport("invoice"),),
                            factory=lambda ctx: UncheckedConnector(ctx))
    return types.SimpleNamespace(hub_connectors=hookimpl(hub_connectors))


def test_a_record_the_store_refuses_is_quarantined_and_the_page_stored(
        tmp_path: Path, store_url: str, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write_config(tmp_path, store_url, """
        [connectors.api]
        type = "unchecked"
    """))
    engine = open_store(store_url)
    try:
        sync = SyncEngine(Hub(config, load_plugins(extra=[("unchecked", _unchecked_plugin())]),
                              engine))
        summary = sync.sync("api")
        assert summary.status == "succeeded"
        c = summary.counts["invoice"]
        assert (c.created, c.quarantined) == (30, 1)
        assert sorted(stored(engine, "invoice")) == sorted(f"G{i}" for i in range(30))
        [entry] = quarantined(engine)
        assert entry["external_id"] == "HUGE" and entry["location"] == "api:HUGE"
        assert entry["reason"].startswith("the store refused this invoice: ")
        assert "\n" not in entry["reason"] and len(entry["reason"]) < 300
        assert "Traceback" not in caplog.text
        again = sync.sync("api")  # the same page again: nothing new, nothing doubled
        c = again.counts["invoice"]
        assert (c.created, c.unchanged, c.quarantined) == (0, 30, 1)
        assert len(quarantined(engine)) == 1
    finally:
        engine.dispose()
