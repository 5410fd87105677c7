"""Each table of the config file is validated by the part of the hub that uses it, when it
does: a mistake in one table never stops a command that does not read it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import exits
from hub.collect.settings import CollectionSettings
from hub.config import KNOWN_SECTIONS, Section, load_config
from hub.errors import ConfigError
from hub.invoicing.settings import InvoicingSettings
from hub.outbox.settings import PushSettings
from hub.reconcile.settings import ReconcileSettings
from hub.schedule.settings import ScheduleSettings
from hub.sync.settings import WebhookSyncSettings
from hub.web.settings import WebSettings
from tests.support.hub import cli, write_config
from tests.support.invoices import BOOKS, GOOD

SECTIONS: list[type[Section]] = [ReconcileSettings, PushSettings, WebSettings,
                                 WebhookSyncSettings, CollectionSettings, ScheduleSettings,
                                 InvoicingSettings]


def test_every_table_the_hub_reads_is_a_known_one() -> None:
    assert {s.table for s in SECTIONS} == set(KNOWN_SECTIONS)


def test_an_unknown_table_is_refused_with_its_name(tmp_path: Path) -> None:
    path = write_config(tmp_path, "sqlite:///x.db", BOOKS + "[reconcil]\npairs = []\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.path == "reconcil" and "unknown setting" in str(exc.value)


def test_a_table_is_validated_once_and_only_when_asked(tmp_path: Path) -> None:
    path = write_config(tmp_path, "sqlite:///x.db",
                        BOOKS + "[reconcile]\nduplicate_window_days = -1\n")
    config = load_config(path)  # the file's shape is fine; [reconcile] is not read yet
    with pytest.raises(ConfigError) as exc:
        ReconcileSettings.of(config)
    assert exc.value.path == "reconcile.duplicate_window_days"
    fine = load_config(write_config(tmp_path, "sqlite:///x.db",
                                    BOOKS + "[reconcile]\nduplicate_window_days = 9\n"))
    assert ReconcileSettings.of(fine) is ReconcileSettings.of(fine)
    assert ReconcileSettings.of(fine).duplicate_window_days == 9


def test_a_missing_web_secret_does_not_stop_other_commands(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BH_TEST_UNSET_PASSWORD", raising=False)
    (tmp_path / "invoices.csv").write_text(GOOD, encoding="utf-8")
    write_config(tmp_path, store_url, BOOKS + '[web]\ncoordinator_password = '
                 '"env:BH_TEST_UNSET_PASSWORD"\n')
    assert cli(capsys, "sync")[0] == exits.OK
    assert cli(capsys, "reconcile")[0] == exits.OK
    code, _, err = cli(capsys, "serve")
    assert code == exits.USAGE
    assert "web.coordinator_password" in err and "BH_TEST_UNSET_PASSWORD" in err


def test_reading_the_config_imports_none_of_the_hub_s_subsystems() -> None:
    code = ("import sys, hub.config; print(' '.join(sorted(m for m in sys.modules "
            "if m.startswith('hub.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert not [m for m in loaded if m.split(".")[1] in (
        "reconcile", "web", "collect", "schedule", "outbox", "sync", "store", "workers")], loaded
