"""What an operator expects of any command line: --version, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from hub.cli import exits
from tests.support.hub import cli

HEAVY = ("sqlalchemy", "alembic", "hub.reconcile", "hub.web", "hub.store", "stripe",
         "quickbooks", "starlette")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--version")
    assert code == exits.OK
    assert out.strip() == f"billing-hub {version('billing-hub')}"
    # it wins over a command and its arguments, and needs no config file
    code, again, _ = cli(capsys, "--config", "/nowhere/billing-hub.toml", "--version", "sync")
    assert (code, again) == (exits.OK, out)


@pytest.fixture
def named_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typer's switch for tests: the shell is named (``--show-completion bash``) instead of
    detected from the processes above this one, which differ between a terminal and CI."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")


def test_show_completion_prints_a_script_for_the_shell(
        named_shell: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "--show-completion", "bash")
    assert code == exits.OK, (out, err)
    assert "_BILLING_HUB_COMPLETE=complete_bash" in out and "complete " in out
    code, out, _ = cli(capsys, "--help")
    assert "--install-completion" in out and "--show-completion" in out


def _complete(words: str) -> tuple[list[str], str]:
    """What bash completion offers for the last of ``words``, and the heavy modules the
    completing process imported."""
    probe = ("import sys; from hub.cli.app import run; run([]); "
             f"print('LOADED:' + ' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True,
        env={**os.environ, "_BILLING_HUB_COMPLETE": "complete_bash", "COMP_WORDS": words,
             "COMP_CWORD": str(len(words.split()) - 1)}).stdout
    *offered, loaded = shown.splitlines()
    return offered, loaded.removeprefix("LOADED:")


def test_completion_offers_commands_without_loading_them() -> None:
    offered, loaded = _complete("billing-hub fin")
    assert offered == ["findings"]
    assert loaded == ""  # naming the commands imports none of them
    offered, _ = _complete("billing-hub findings list --sta")
    assert offered == ["--status"]


def test_install_completion_writes_the_script_into_the_shell_s_startup(
        named_shell: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    code, out, _ = cli(capsys, "--install-completion", "bash")
    assert code == exits.OK and "bash completion installed" in out
    script = tmp_path / ".bash_completions" / "billing-hub.sh"
    assert "_BILLING_HUB_COMPLETE=complete_bash" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()
