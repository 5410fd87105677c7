"""`billing-hub plugin new`, end to end: scaffold, install, list, sync, run the contract.

The plugin is written by the real command into a temporary folder, installed
into this interpreter's environment (editable, without build isolation: no
download), seen by `billing-hub plugins` in a new process, synced from into a
store through `billing-hub sync` against its own fake API, and its generated
tests (the contract kit) run; ruff and mypy pass on it as written. It is
uninstalled afterwards, whatever happened, so the environment is left as found.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa

from hub.scaffold import ScaffoldError, check_name, new_plugin, render
from hub.store import open_store
from hub.store.schema import runs
from tests.support.hub import stored, write_config

pytestmark = pytest.mark.slow

NAME = "acme_ci"
DIST = "billing-hub-acme-ci"
PACKAGE = "billing_hub_acme_ci"
BIN = Path(sys.executable).parent


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return _run(sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The scaffolded project, installed editable for this module's tests."""
    folder = tmp_path_factory.mktemp("plugins")
    written = _run(BIN / "billing-hub", "plugin", "new", NAME, "--dir", folder)
    assert written.returncode == 0, written.stderr
    project = folder / DIST
    assert "pytest" in written.stdout and str(project) in written.stdout
    _pip("uninstall", "-y", DIST)  # a leftover of an interrupted run, if any
    try:
        installed = _pip("install", "--no-deps", "--no-build-isolation", "-e", str(project))
        assert installed.returncode == 0, installed.stdout + installed.stderr
        yield project
    finally:
        removed = _pip("uninstall", "-y", DIST)
        assert removed.returncode == 0, removed.stderr
        assert DIST not in _pip("list").stdout


def test_the_installed_plugin_is_listed_by_billing_hub_plugins(plugin: Path) -> None:
    listed = _run(BIN / "billing-hub", "plugins", env={"COLUMNS": "250"})
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if NAME in row)
    assert DIST in line and "0.1.0" in line and "ok" in line and "broken" not in line
    assert "invoice (pull, push, incremental, webhook)" in listed.stdout


def test_billing_hub_syncs_from_it_into_a_store(plugin: Path, store_url: str,
                                                tmp_path: Path) -> None:
    fake = subprocess.Popen([sys.executable, "-m", f"{PACKAGE}.fake", "--seed", "12"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None
        url = fake.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        config = write_config(tmp_path, store_url, f"""
            [connectors.ledger]
            type = "{NAME}"
            base_url = "{url}"
            api_key = "env:ACME_CI_API_KEY"
            page_size = 5
        """)
        env = {"ACME_CI_API_KEY": "test-key"}
        first = _run(BIN / "billing-hub", "--config", config, "sync", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        engine = open_store(store_url)
        try:
            invoices = stored(engine, "invoice", "ledger")
            assert len(invoices) == 12
            assert invoices["inv_00001"]["total"] == "100.00"  # 10_000 cents, exactly
            # a payment recorded in the system; the next sync reads that invoice alone
            auth = {"Authorization": "Bearer test-key"}
            listed = httpx.get(f"{url}/v1/invoices", params={"limit": 100}, headers=auth)
            second = next(i for i in listed.json()["data"] if i["id"] == "inv_00002")
            body = {k: v for k, v in second.items() if k not in ("id", "updated_at")}
            edited = httpx.post(f"{url}/v1/invoices/inv_00002",
                                json={**body, "amount_paid": second["total"], "status": "paid"},
                                headers={**auth, "Idempotency-Key": "edit-1"})
            assert edited.status_code == 200, edited.text
            again = _run(BIN / "billing-hub", "--config", config, "sync", env=env)
            assert again.returncode == 0, again.stdout + again.stderr
            assert stored(engine, "invoice", "ledger")["inv_00002"]["status"] == "paid"
            with engine.connect() as conn:
                counts = conn.execute(sa.select(runs.c.counts).order_by(runs.c.id)).scalars()
                assert [orjson.loads(c)["invoice"] for c in counts] == [
                    {"created": 12, "updated": 0, "unchanged": 0, "quarantined": 0, "deleted": 0},
                    {"created": 0, "updated": 1, "unchanged": 0, "quarantined": 0, "deleted": 0}]
        finally:
            engine.dispose()
    finally:
        fake.terminate()
        fake.wait(timeout=10)


def test_its_own_tests_run_the_contract_and_pass(plugin: Path) -> None:
    result = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=plugin)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "billing-hub connector contract" in result.stdout
    assert f"{NAME}: 12 passed" in result.stdout  # every check applies: nothing skipped
    assert "failed" not in result.stdout.splitlines()[-1]


def test_it_is_lint_and_type_clean(plugin: Path, tmp_path: Path) -> None:
    ruff = _run(BIN / "ruff", "check", "--no-cache", "src", "tests", cwd=plugin)
    assert ruff.returncode == 0, ruff.stdout
    mypy = _run(BIN / "mypy", "--cache-dir", tmp_path / "mypy", cwd=plugin)
    assert mypy.returncode == 0, mypy.stdout


def test_a_bad_name_is_refused_with_what_to_type_instead(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="lowercase letters") as bad:
        check_name("Acme-ERP")
    assert "billing-hub plugin new acme_erp" in str(bad.value)
    with pytest.raises(ScaffoldError, match="already installed"):
        check_name("csv", {"csv", "stripe"})
    with pytest.raises(ScaffoldError, match="21 characters long"):
        check_name("a" * 21)
    for name in ("class", "1password", "acme__erp", "acme_", "_acme"):
        with pytest.raises(ScaffoldError):
            check_name(name)
    result = _run(BIN / "billing-hub", "plugin", "new", "Acme-ERP", "--dir", tmp_path)
    assert result.returncode == 2 and "for example" in result.stderr
    assert not list(tmp_path.iterdir())


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    mine = tmp_path / "billing-hub-acme"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_plugin("acme", tmp_path)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_every_template_renders_for_any_valid_name() -> None:
    for name in ("a", "acme_erp", "x1_2_3", "twenty_characters_xy"):
        files = render(check_name(name))
        assert f"src/billing_hub_{name}/connector.py" in files
        assert not [path for path, text in files.items() if "$" in text]  # all substituted
        assert f'{name} = "billing_hub_{name}.plugin"' in files["pyproject.toml"]
