"""Config errors name their TOML path and file; secrets stay secret; plugins load through
the entry points and a broken one never takes the hub down."""

from __future__ import annotations

import importlib.metadata
import logging
import re
import sys
import types
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy.engine import Engine

from hub.config import config_error_from, load_config
from hub.contract.connector import ConnectorSpec, EntitySupport
from hub.contract.hookspecs import HubSpec, hookimpl
from hub.contract.outcomes import EntityCounts
from hub.errors import ConfigError, PluginError
from hub.plugins import ENTRY_POINT_GROUP, load_plugins, notify
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import Hub
from hub.secrets import RedactingFilter, SecretRef, redact
from hub.sync.engine import SyncEngine
from plugins.csv.connector import CsvConnector
from tests.support.hub import connector_of, stored

BANK = """
[connectors.bank]
type = "csv"
page_size = {page_size}

[[connectors.bank.files]]
path = "bank.csv"
entity = "bank_transaction"
date_format = "iso"
defaults = {{ currency = "EUR" }}
columns = {{ booked_date = "Date", amount = "Amount", description = "Text" }}
"""
BANK_CSV = "Date,Amount,Text\n2026-03-02,120.50,Transfer Acme\n2026-03-03,-9.90,Fee\n"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "billing-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- config -----------------------------------------------------------------------------


def test_a_bad_value_is_reported_with_its_path_and_file(tmp_path: Path) -> None:
    path = _config(tmp_path, '[sync]\npage_size = "lots"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.path == "sync.page_size"
    assert exc.value.file == str(path)
    assert "sync.page_size" in str(exc.value) and "'lots'" in str(exc.value)
    assert str(path) in str(exc.value)  # the hint says which file to fix
    path = _config(tmp_path, '[store]\nulr = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError, match="unknown setting") as exc:
        load_config(path)
    assert exc.value.path == "store.ulr"


def test_connector_sections_are_validated_by_their_plugin(tmp_path: Path) -> None:
    path = _config(tmp_path, BANK.format(page_size=0))
    config = load_config(path)
    assert config.config_file == path.resolve()
    with pytest.raises(ConfigError) as exc:
        connector_of(config, "bank", registry=load_plugins())
    assert exc.value.path == "connectors.bank.page_size"
    assert "greater than or equal to 1, got 0" in str(exc.value)
    assert exc.value.file == str(path.resolve()) and str(path.resolve()) in str(exc.value)

    path = _config(tmp_path, BANK.format(page_size=10).replace(
        'entity = "bank_transaction"', 'entity = "bank_transaction"\nencoding = "ebcdic"'))
    with pytest.raises(ConfigError) as exc:
        connector_of(load_config(path), "bank", registry=load_plugins())
    assert exc.value.path == "connectors.bank.files[0].encoding"
    assert "'ebcdic'" in str(exc.value)


def test_paths_are_the_file_s_own_words(tmp_path: Path) -> None:
    # `columns` values are `str | list[str]`: pydantic's error locations name the union
    # member ("...total.str"), which is nowhere in the file; one bad value is one problem.
    path = _config(tmp_path, BANK.format(page_size=10).replace(
        'description = "Text" }', 'description = "Text", reference = 7 }'))
    with pytest.raises(ConfigError) as exc:
        connector_of(load_config(path), "bank", registry=load_plugins())
    assert exc.value.path == "connectors.bank.files[0].columns.reference"
    assert "got 7" in str(exc.value) and "more problem" not in str(exc.value)
    path = _config(tmp_path, '[[reconcile.pairs]]\nright = "bank"\nsince = "last week"\n')
    with pytest.raises(ConfigError) as exc:
        ReconcileSettings.of(load_config(path))
    assert exc.value.path == "reconcile.pairs[0].left"  # a missing key is named
    assert "(and 1 more problem)" in str(exc.value)


def test_fractions_in_the_file_are_read_exactly(tmp_path: Path) -> None:
    path = _config(tmp_path, "[reconcile.matching]\n"
                             "amount_tolerance_percent = 2.00000000000000000001\n")
    tolerance = ReconcileSettings.of(load_config(path)).matching.amount_tolerance_percent
    assert tolerance == Decimal("2.00000000000000000001")  # a float would make it 2.0
    path = _config(tmp_path, "[reconcile.matching]\namount_tolerance_percent = 50.5\n")
    with pytest.raises(ConfigError, match=re.escape("less than or equal to 50, got 50.5")) as exc:
        ReconcileSettings.of(load_config(path))
    assert exc.value.path == "reconcile.matching.amount_tolerance_percent"


def test_missing_unreadable_and_broken_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="billing-hub init") as exc:
        load_config(tmp_path / "nope.toml")
    assert "does not exist" in str(exc.value) and exc.value.file == str(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 1"):
        load_config(_config(tmp_path, "[store\n"))
    with pytest.raises(ConfigError, match="cannot read config file") as exc:
        load_config(tmp_path)  # a folder, not a file
    assert "--config" in str(exc.value)
    (tmp_path / "latin.toml").write_bytes('[store]\nurl = "sqlite:///caf\xe9.db"\n'.encode("cp1252"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path / "latin.toml")


def test_relative_store_paths_follow_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "company"
    folder.mkdir()
    config = load_config(_config(folder, '[store]\nurl = "sqlite:///data/hub.db"\n'))
    assert config.store_url() == f"sqlite:///{folder.resolve() / 'data' / 'hub.db'}"
    assert config.base_dir == folder.resolve()


# --- secrets ----------------------------------------------------------------------------

SECRET = "sk_live_abcdef123456"


class WithSecret(BaseModel):
    api_key: SecretRef
    account: str = "main"


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BH_TEST_KEY", SECRET)
    return SECRET


def test_secrets_come_from_the_environment_and_never_show(secret_env: str) -> None:
    model = WithSecret.model_validate({"api_key": "env:BH_TEST_KEY"})
    assert isinstance(model.api_key, SecretStr)
    assert model.api_key.get_secret_value() == secret_env
    shown = (repr(model), str(model), model.model_dump_json(), str(model.model_dump()),
             repr(model.api_key), str(model.api_key), f"{model.api_key}")
    for text in shown:
        assert secret_env not in text
    assert "**********" in model.model_dump_json()
    assert redact(f"calling with {secret_env}") == "calling with **********"


def test_secrets_in_log_messages_arguments_and_tracebacks_are_redacted(
    secret_env: str, caplog: pytest.LogCaptureFixture
) -> None:
    WithSecret.model_validate({"api_key": "env:BH_TEST_KEY"})
    logger = logging.getLogger("bh.test.secrets")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="bh.test.secrets"):
        logger.info("request failed with key %s", secret_env)
        logger.info("headers: %(auth)s", {"auth": f"Bearer {secret_env}"})
        try:
            raise RuntimeError(f"401 from the API for key {secret_env}")
        except RuntimeError:
            logger.exception("the call failed")
    text = caplog.text
    assert secret_env not in text
    assert text.count("**********") >= 3
    assert "RuntimeError: 401 from the API for key **********" in text
    for record in caplog.records:  # whatever another handler formats from the record
        formatted = logging.Formatter().format(record)
        assert secret_env not in formatted


def test_a_secret_that_contains_another_is_redacted_whole(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("BH_SHORT", "abcd1")
    monkeypatch.setenv("BH_LONG", "abcd1-very-long-secret")

    class Two(BaseModel):
        short: SecretRef
        long: SecretRef

    Two.model_validate({"short": "env:BH_SHORT", "long": "env:BH_LONG"})
    assert redact("x abcd1-very-long-secret y abcd1 z") == "x ********** y ********** z"


def test_secrets_in_clear_text_or_unset_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as exc:
        WithSecret.model_validate({"api_key": "sk_live_typed_in"})
    assert "env:VARIABLE_NAME" in str(exc.value)
    monkeypatch.delenv("BH_NOT_SET", raising=False)
    with pytest.raises(ValidationError, match="environment variable BH_NOT_SET is not set"):
        WithSecret.model_validate({"api_key": "env:BH_NOT_SET"})
    monkeypatch.setenv("BH_EMPTY", "")
    with pytest.raises(ValidationError, match="BH_EMPTY is not set"):
        WithSecret.model_validate({"api_key": "env:BH_EMPTY"})
    with pytest.raises(ValidationError, match="needs a variable name"):
        WithSecret.model_validate({"api_key": "env: "})


def _secret_plugin() -> types.SimpleNamespace:
    def hub_connectors() -> Any:
        yield ConnectorSpec(name="vault", description="a connector with a key",
                            config_model=WithSecret, entities=(EntitySupport("invoice"),),
                            factory=CsvConnector)
    return types.SimpleNamespace(hub_connectors=hookimpl(hub_connectors))


@pytest.mark.parametrize("typed", ['"sk_live_typed_in_clear"', "12345678"])
def test_a_clear_text_secret_in_the_config_file_is_refused_and_not_echoed(
    tmp_path: Path, typed: str
) -> None:
    path = _config(tmp_path, f'[connectors.pay]\ntype = "vault"\napi_key = {typed}\n')
    registry = load_plugins(extra=[("vault", _secret_plugin())])
    with pytest.raises(ConfigError) as exc:
        connector_of(load_config(path), "pay", registry=registry)
    assert exc.value.path == "connectors.pay.api_key"
    assert "env:VARIABLE_NAME" in str(exc.value)
    assert typed.strip('"') not in str(exc.value)


def test_a_non_secret_value_is_still_echoed(secret_env: str) -> None:
    try:
        WithSecret.model_validate({"api_key": "env:BH_TEST_KEY", "account": 12})
    except ValidationError as exc:
        message = str(config_error_from(exc, prefix="connectors.pay"))
    assert "connectors.pay.account" in message and "got 12" in message


# --- plugins ----------------------------------------------------------------------------


def test_the_csv_plugin_comes_through_the_entry_point() -> None:
    (ep,) = [e for e in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
             if e.name == "csv"]
    assert ep.value == "plugins.csv.plugin" and ep.dist is not None
    assert ep.dist.metadata["Name"] == "billing-hub"
    registry = load_plugins()
    (info,) = [p for p in registry.plugins if p.name == "csv"]
    assert info.distribution == "billing-hub" and info.version and not info.broken
    assert info.module == "plugins.csv.plugin"
    spec = registry.connector_spec("csv")
    assert spec.load_factory() is CsvConnector
    assert {e.entity for e in spec.entities} == {"customer", "invoice", "payment",
                                                  "bank_transaction"}
    # from this module's point of view the plugin is only reachable through the registry
    assert registry.manager.has_plugin("csv")


def _install_broken_distribution(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real (if tiny) installed distribution whose plugin module cannot be imported."""
    dist = site / "bh_broken-0.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bh-broken\nVersion: 0.3\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nbroken = bh_broken_mod\n")
    (site / "bh_broken_mod.py").write_text("import no_such_dependency\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "bh_broken_mod", raising=False)


def test_a_plugin_that_fails_to_import_is_shown_and_csv_still_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str, engine: Engine
) -> None:
    _install_broken_distribution(tmp_path / "site", monkeypatch)
    registry = load_plugins()
    by_name = {p.name: p for p in registry.plugins}
    broken = by_name["broken"]
    assert broken.broken and "No module named 'no_such_dependency'" in (broken.error or "")
    assert (broken.distribution, broken.version) == ("bh-broken", "0.3")
    assert "bh_broken_mod.py" in (broken.error or "")  # where it failed
    assert not registry.manager.has_plugin("broken")
    with pytest.raises(PluginError, match="failed to load") as exc:
        registry.connector_spec("broken")
    assert "No module named 'no_such_dependency'" in str(exc.value)

    (tmp_path / "bank.csv").write_text(BANK_CSV, encoding="utf-8")
    config = load_config(_config(tmp_path, f'[store]\nurl = "{store_url}"\n'
                                           + BANK.format(page_size=10)))
    summary = SyncEngine(Hub(config, registry, engine)).sync("bank")
    assert summary.status == "succeeded"
    assert summary.counts["bank_transaction"] == EntityCounts(created=2)
    amounts = sorted(Decimal(r["amount"]) for r in stored(engine, "bank_transaction").values())
    assert amounts == [Decimal("-9.90"), Decimal("120.50")]


def _plugin(*names: str, fails: bool = False, seen: list[str] | None = None
            ) -> types.SimpleNamespace:
    def hub_connectors() -> Any:
        if fails:
            raise RuntimeError("remote catalogue unreachable")
        for name in names:
            yield ConnectorSpec(name=name, description=name, config_model=BaseModel,
                                entities=(EntitySupport("invoice"),), factory=CsvConnector)

    def hub_records_pulled(source: str) -> None:
        if seen is not None:
            seen.append(f"{'+'.join(names)} saw {source}")

    return types.SimpleNamespace(hub_connectors=hookimpl(hub_connectors),
                                 hub_records_pulled=hookimpl(hub_records_pulled))


BUILT_IN = {"bankfiles", "csv", "email", "quickbooks", "stripe"}
"""The connector types the distribution's own entry points register."""


def test_clashing_and_failing_plugins_are_recorded_not_fatal() -> None:
    seen: list[str] = []
    registry = load_plugins(extra=[
        ("xero", _plugin("xero", seen=seen)),
        ("xero2", _plugin("xero", seen=seen)),
        ("flaky", _plugin("flaky", fails=True, seen=seen)),
    ])
    by_name = {p.name: p for p in registry.plugins}
    assert "already offered by plugin 'xero'" in (by_name["xero2"].error or "")
    assert "remote catalogue unreachable" in (by_name["flaky"].error or "")
    assert not by_name["csv"].broken and not by_name["xero"].broken
    assert by_name["xero2"].connectors == [] and by_name["flaky"].connectors == []
    assert set(registry.connector_specs()) == BUILT_IN | {"xero"}
    # a broken plugin takes no part: its observers are not called either
    notify(registry, "hub_records_pulled", source="books", entity="invoice",
           counts=EntityCounts())
    assert seen == ["xero saw books"]


def test_a_clash_does_not_take_the_clashing_plugin_s_other_connectors_hostage() -> None:
    registry = load_plugins(extra=[("both", _plugin("sage", "csv")), ("sage", _plugin("sage"))])
    by_name = {p.name: p for p in registry.plugins}
    assert by_name["both"].error == "connector 'csv' is already offered by plugin 'csv'"
    assert not by_name["sage"].broken  # "both" never got to offer sage
    assert registry.connector_spec("sage").name == "sage"
    assert set(registry.connector_specs()) == BUILT_IN | {"sage"}


def test_plugins_that_answer_nonsense_offer_nothing() -> None:
    def half() -> Any:
        yield ConnectorSpec(name="half", description="", config_model=BaseModel,
                            entities=(), factory=CsvConnector)
        yield "not a spec"

    def lone() -> Any:
        return ConnectorSpec(name="lone", description="", config_model=BaseModel,
                             entities=(), factory=CsvConnector)

    registry = load_plugins(extra=[
        ("half", types.SimpleNamespace(hub_connectors=hookimpl(half))),
        ("lone", types.SimpleNamespace(hub_connectors=hookimpl(lone))),
        ("twice", _plugin("dup", "dup")),
        ("csv", _plugin("other")),  # a second plugin under a name already taken
    ])
    errors = {p.name: p.error for p in registry.plugins if p.broken}
    assert errors["half"] == "hub_connectors yielded str, expected ConnectorSpec"
    assert "return a list" in (errors["lone"] or "")
    assert errors["twice"] == "connector 'dup' is offered twice by this plugin"
    assert errors["csv"] == "another plugin is already loaded under the name 'csv'"
    assert set(registry.connector_specs()) == BUILT_IN
    assert registry.connector_spec("csv").load_factory() is CsvConnector  # the real one kept


def test_an_unknown_connector_lists_the_ones_there_are() -> None:
    registry = load_plugins(extra=[("xero", _plugin("xero"))])
    with pytest.raises(PluginError) as exc:
        registry.connector_spec("nope")
    assert ("no installed plugin offers connector type 'nope' "
            "(installed: bankfiles, csv, email, quickbooks, stripe, xero)") in str(exc.value)
    assert exc.value.hint is not None and "install the plugin" in exc.value.hint


def test_one_failing_observer_does_not_stop_the_others(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    seen: list[str] = []

    def first(source: str, entity: str, counts: EntityCounts) -> None:
        seen.append(f"first {counts.created}")

    def bad(source: str) -> None:  # takes fewer arguments than the spec: allowed
        raise ValueError("observer bug")

    def last(counts: EntityCounts) -> None:
        seen.append(f"last {counts.created}")

    plugins = [("first", types.SimpleNamespace(hub_records_pulled=hookimpl(first))),
               ("bad", types.SimpleNamespace(hub_records_pulled=hookimpl(bad))),
               ("last", types.SimpleNamespace(hub_records_pulled=hookimpl(last)))]
    registry = load_plugins(extra=plugins)
    with caplog.at_level(logging.ERROR):
        notify(registry, "hub_records_pulled", source="books", entity="invoice",
               counts=EntityCounts(created=4))
    assert sorted(seen) == ["first 4", "last 4"]
    assert "observer bug" in caplog.text and "the sync goes on" in caplog.text
    assert "plugin bad failed in hub_records_pulled" in caplog.text


def test_every_hook_is_documented_and_prefixed() -> None:
    manager = load_plugins().manager
    names = [n for n in dir(HubSpec) if not n.startswith("_")]
    assert {"hub_connectors", "hub_records_pulled", "hub_sync_finished"} <= set(names)
    for name in names:
        caller = getattr(manager.hook, name)
        assert caller.spec is not None, f"{name} is not a hook spec"
        assert name.startswith("hub_")
        doc = getattr(HubSpec, name).__doc__ or ""
        assert "Example" in doc and "@hookimpl" in doc, f"{name} needs an example"
        assert len(doc.split()) > 20, f"{name} needs real documentation"
