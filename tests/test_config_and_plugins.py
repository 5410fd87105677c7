"""Config errors name their TOML path; secrets stay secret; plugins load through
the entry points and a broken one never takes the hub down."""

from __future__ import annotations

import logging
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from hub.config import load_config
from hub.connector import ConnectorSpec, EntitySupport
from hub.errors import ConfigError, PluginError
from hub.hookspecs import hookimpl
from hub.outcomes import EntityCounts
from hub.plugins import load_plugins, notify
from hub.secrets import RedactingFilter, SecretRef, redact
from plugins.csv.connector import CsvConnector


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "billing-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_value_is_reported_with_its_path(tmp_path: Path) -> None:
    path = _config(tmp_path, '[sync]\npage_size = "lots"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.path == "sync.page_size"
    assert "'lots'" in str(exc.value)
    path = _config(tmp_path, '[store]\nulr = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError, match="unknown setting") as exc:
        load_config(path)
    assert exc.value.path == "store.ulr"


def test_connector_sections_are_validated_by_their_plugin(tmp_path: Path) -> None:
    from hub.sync.engine import build_connector
    path = _config(tmp_path, '[connectors.bank]\ntype = "csv"\n'
                             '[[connectors.bank.files]]\npath = "a.csv"\nentity = "invoice"\n'
                             'encoding = "ebcdic"\n')
    config = load_config(path)
    with pytest.raises(ConfigError) as exc:
        build_connector(config, load_plugins(), "bank")
    assert exc.value.path == "connectors.bank.files[0].encoding"
    assert "'ebcdic'" in str(exc.value)


def test_missing_and_broken_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="billing-hub init"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_config(tmp_path, "[store\n"))


class WithSecret(BaseModel):
    api_key: SecretRef


def test_secrets_come_from_the_environment_and_never_show(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BH_TEST_KEY", "sk_live_abcdef123456")
    model = WithSecret.model_validate({"api_key": "env:BH_TEST_KEY"})
    assert model.api_key.get_secret_value() == "sk_live_abcdef123456"
    for shown in (repr(model), str(model), model.model_dump_json()):
        assert "sk_live_abcdef123456" not in shown
    assert redact("calling with sk_live_abcdef123456") == "calling with **********"
    logger = logging.getLogger("bh.test.secrets")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="bh.test.secrets"):
        logger.info("request failed with key %s", "sk_live_abcdef123456")
    assert "sk_live_abcdef123456" not in caplog.text and "**********" in caplog.text


def test_secrets_in_clear_text_or_unset_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as exc:
        WithSecret.model_validate({"api_key": "sk_live_typed_in"})
    assert "env:VARIABLE_NAME" in str(exc.value)
    assert "sk_live_typed_in" not in str(exc.value).replace("input_value='sk_live_typed_in'", "")
    monkeypatch.delenv("BH_NOT_SET", raising=False)
    with pytest.raises(ValidationError, match="BH_NOT_SET is not set"):
        WithSecret.model_validate({"api_key": "env:BH_NOT_SET"})


def test_a_clear_text_secret_in_config_is_not_echoed(tmp_path: Path) -> None:
    from hub.config import config_error_from
    try:
        WithSecret.model_validate({"api_key": 12345678})
    except ValidationError as exc:
        message = str(config_error_from(exc, prefix="connectors.stripe"))
    assert "12345678" not in message and "connectors.stripe.api_key" in message


def test_the_csv_plugin_comes_through_the_entry_point() -> None:
    registry = load_plugins()
    (info,) = [p for p in registry.plugins if p.name == "csv"]
    assert info.distribution == "billing-hub" and info.version and not info.broken
    spec = registry.connector_spec("csv")
    assert spec.factory is CsvConnector
    assert {e.entity for e in spec.entities} == {"customer", "invoice", "payment",
                                                  "bank_transaction"}


def _plugin(name: str, *, fails: bool = False) -> types.SimpleNamespace:
    def hub_connectors() -> Any:
        if fails:
            raise RuntimeError("remote catalogue unreachable")
        yield ConnectorSpec(name=name, description=name, config_model=BaseModel,
                            entities=(EntitySupport("invoice"),), factory=CsvConnector)
    return types.SimpleNamespace(hub_connectors=hookimpl(hub_connectors))


def test_broken_and_clashing_plugins_are_recorded_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    dist = site / "bh_broken-0.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bh-broken\nVersion: 0.3\n")
    (dist / "entry_points.txt").write_text("[billing_hub]\nbroken = bh_broken_mod\n")
    (site / "bh_broken_mod.py").write_text("import no_such_dependency\n")
    monkeypatch.syspath_prepend(str(site))

    registry = load_plugins(extra=[("xero", _plugin("xero")), ("xero2", _plugin("xero")),
                                   ("flaky", _plugin("flaky", fails=True))])
    by_name = {p.name: p for p in registry.plugins}
    assert "No module named 'no_such_dependency'" in (by_name["broken"].error or "")
    assert by_name["broken"].distribution == "bh-broken"
    assert "already offered by plugin 'xero'" in (by_name["xero2"].error or "")
    assert "remote catalogue unreachable" in (by_name["flaky"].error or "")
    assert not by_name["csv"].broken and not by_name["xero"].broken
    assert set(registry.connector_specs()) == {"csv", "xero"}
    with pytest.raises(PluginError, match="installed: csv, xero") as exc:
        registry.connector_spec("quickbooks")
    assert "install the plugin" in str(exc.value)


def test_one_failing_observer_does_not_stop_the_others(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    seen: list[int] = []

    def good(source: str, entity: str, counts: EntityCounts) -> None:
        seen.append(counts.created)

    def bad(source: str) -> None:  # takes fewer arguments than the spec: allowed
        raise ValueError("observer bug")

    plugins = [("bad", types.SimpleNamespace(hub_records_pulled=hookimpl(bad))),
               ("good", types.SimpleNamespace(hub_records_pulled=hookimpl(good)))]
    registry = load_plugins(extra=plugins)
    with caplog.at_level(logging.ERROR):
        notify(registry, "hub_records_pulled", source="books", entity="invoice",
               counts=EntityCounts(created=4))
    assert seen == [4]
    assert "observer bug" in caplog.text and "the sync goes on" in caplog.text
