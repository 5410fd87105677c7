"""The store's vault for credentials connectors keep between runs: sealed, bound, replaced."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from hub.cli import exits
from hub.config import load_config
from hub.errors import ConfigError
from hub.plugins import load_plugins
from hub.runtime import Hub
from hub.store import audit, current_revision, head_revision, migrate
from hub.store.credentials import CredentialUnreadable, StoreVault
from hub.store.database import downgrade
from hub.store.schema import credentials
from tests.support.hub import cli, connector_of, write_config

KEY = SecretStr("a-long-random-secret-key-for-tests")
TOKEN = "AB11700000000refresh-token-value-xyz"


def _rows(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(credentials.c.connector, credentials.c.name, credentials.c.sealed))]


def test_a_value_is_kept_sealed_and_replaced_by_the_next(engine: Engine) -> None:
    vault = StoreVault(engine, "books", KEY)
    assert vault.get("refresh_token") is None
    vault.put("refresh_token", TOKEN)
    assert vault.get("refresh_token") == TOKEN
    [(connector, name, sealed)] = _rows(engine)
    assert (connector, name) == ("books", "refresh_token")
    assert TOKEN not in sealed and "refresh-token" not in sealed
    vault.put("refresh_token", TOKEN + "-rotated")
    assert vault.get("refresh_token") == TOKEN + "-rotated"
    assert len(_rows(engine)) == 1
    # another connector's vault does not see it
    assert StoreVault(engine, "other", KEY).get("refresh_token") is None


def test_sealing_twice_gives_different_text(engine: Engine) -> None:
    vault = StoreVault(engine, "books", KEY)
    vault.put("a", TOKEN)
    first = _rows(engine)[0][2]
    vault.put("a", TOKEN)
    assert _rows(engine)[0][2] != first  # a fresh nonce each time
    assert vault.get("a") == TOKEN


def test_a_sealed_value_moved_to_another_connector_does_not_open(engine: Engine) -> None:
    StoreVault(engine, "books", KEY).put("refresh_token", TOKEN)
    with engine.begin() as conn:
        conn.execute(credentials.update().values(connector="thief"))
    with pytest.raises(CredentialUnreadable) as exc:
        StoreVault(engine, "thief", KEY).get("refresh_token")
    assert TOKEN not in str(exc.value)


def test_another_key_cannot_read_it_and_says_what_to_do(engine: Engine) -> None:
    StoreVault(engine, "books", KEY).put("refresh_token", TOKEN)
    with pytest.raises(CredentialUnreadable) as exc:
        StoreVault(engine, "books", SecretStr("another-long-secret-key-value")).get(
            "refresh_token")
    assert "secret_key" in exc.value.hint and TOKEN not in str(exc.value)


def test_without_a_key_nothing_is_kept_in_clear(engine: Engine) -> None:
    vault = StoreVault(engine, "books", None)
    assert vault.get("refresh_token") is None  # nothing kept: nothing to open
    with pytest.raises(ConfigError) as exc:
        vault.put("refresh_token", TOKEN)
    assert exc.value.path == "store.secret_key" and "BILLING_HUB_SECRET_KEY" in exc.value.hint
    assert _rows(engine) == []


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="too short"):
        StoreVault(None, "books", SecretStr("short"))  # type: ignore[arg-type]


def test_the_config_takes_the_key_from_the_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.setenv("BH_TEST_SECRET_KEY", KEY.get_secret_value())
    path = tmp_path / "billing-hub.toml"
    path.write_text('[store]\nsecret_key = "env:BH_TEST_SECRET_KEY"\n\n'
                    '[connectors.bank]\ntype = "csv"\n\n[[connectors.bank.files]]\n'
                    'path = "bank.csv"\npreset = "bank-signed"\n')
    config = load_config(path)
    assert config.store.secret_key is not None
    connector = Hub(config, load_plugins(), engine).connector("bank")
    vault = connector.context.vault
    assert isinstance(vault, StoreVault) and vault.connector == "bank"
    vault.put("x", TOKEN)
    assert StoreVault(engine, "bank", KEY).get("x") == TOKEN
    assert connector_of(config, "bank", registry=load_plugins()).context.vault is None

    path.write_text(f'[store]\nsecret_key = "{KEY.get_secret_value()}"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert "env:" in str(exc.value) and KEY.get_secret_value() not in str(exc.value)


def test_migration_0003_adds_and_removes_only_the_credentials_table(engine: Engine) -> None:
    StoreVault(engine, "books", KEY).put("refresh_token", TOKEN)
    downgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    tables = set(sa.inspect(engine).get_table_names())
    assert "credentials" not in tables and {"records", "webhook_deliveries"} <= tables
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _rows(engine) == []


def test_a_store_whose_key_changed_is_started_over_with_credentials_forget(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path, store_url, "")
    StoreVault(engine, "books", KEY).put("refresh_token", TOKEN)
    StoreVault(engine, "books", KEY).put("realm", "9130")
    StoreVault(engine, "bank", KEY).put("refresh_token", "bank-" + TOKEN)
    other_key = StoreVault(engine, "books", SecretStr("another-long-secret-key-value"))
    with pytest.raises(CredentialUnreadable) as exc:
        other_key.get("refresh_token")
    assert "`billing-hub credentials forget books`" in exc.value.hint

    code, out, _ = cli(capsys, "--config", str(config), "credentials", "list")
    assert code == exits.OK and TOKEN not in out
    cells = [[c.strip() for c in line.split("│")[1:3]] for line in out.splitlines()
             if "refresh_token" in line or "realm" in line]
    assert cells == [["bank", "refresh_token"], ["books", "realm"], ["books", "refresh_token"]]

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, out, _ = cli(capsys, "--config", str(config), "credentials", "forget", "books")
    assert code == exits.FAILED and "Nothing forgotten." in out
    assert len(_rows(engine)) == 3

    code, out, _ = cli(capsys, "--config", str(config), "credentials", "forget", "books", "--yes")
    assert code == exits.OK and "Forgot realm, refresh_token of 'books'" in out
    assert [r[:2] for r in _rows(engine)] == [("bank", "refresh_token")]
    assert other_key.get("refresh_token") is None  # signs in from the config again
    with engine.connect() as conn:
        entry = audit.recent(conn, limit=1)[0]
    assert (entry.action, entry.subject) == ("credentials.forgotten", "connector:books")
    assert entry.details == {"names": ["realm", "refresh_token"]}
    code, out, _ = cli(capsys, "--config", str(config), "credentials", "forget", "books")
    assert code == exits.OK and "keeps nothing" in out
