"""``billing-hub config check``: every table and connector of the file at once, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.cli import exits
from tests.support.hub import cli

BROKEN = """
[store]
url = "sqlite:///never-opened.db"
[web]
port = 0
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "a.csv"
entity = "invoice"
encoding = "klingon"
[connectors.pay]
type = "stripe"
api_key = "env:BH_TEST_NOT_SET_KEY"
[schedule]
[[schedule.jobs]]
connector = "nope"
every = "1h"
"""


def test_the_init_template_checks_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init")[0] == exits.OK
    code, out, _ = cli(capsys, "config", "check")
    assert code == exits.OK
    assert "[connectors.books] (csv) ok" in out and "[reconcile] ok" in out
    assert "every table and connector is valid" in out


def test_every_problem_is_listed_with_its_path_and_nothing_is_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BH_TEST_NOT_SET_KEY", raising=False)
    (tmp_path / "billing-hub.toml").write_text(BROKEN, encoding="utf-8")
    code, out, err = cli(capsys, "config", "check")
    assert code == exits.USAGE
    for path in ("connectors.books.files[0].encoding", "connectors.pay.api_key",
                 "web.port", "schedule.jobs[0].connector"):
        assert path in err, path
    assert "[reconcile] ok" in out and "4 problem(s)" in err
    assert not (tmp_path / "never-opened.db").exists()


def test_an_invoicing_mailer_without_a_sender_is_a_problem_with_its_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "billing-hub.toml").write_text(
        '[connectors.books]\ntype = "csv"\nfiles = []\n\n'
        '[invoicing]\nsources = ["books", "ledger"]\nmailer = "books"\nlocale = "xx_YY"\n',
        encoding="utf-8")
    code, _, err = cli(capsys, "config", "check")
    said = " ".join(err.split())
    assert code == exits.USAGE and "invoicing.locale" in said and "is not a locale" in said
    (tmp_path / "billing-hub.toml").write_text(
        '[connectors.books]\ntype = "csv"\nfiles = []\n\n'
        '[invoicing]\nsources = ["books", "ledger"]\n', encoding="utf-8")
    code, _, err = cli(capsys, "config", "check")
    said = " ".join(err.split())
    assert code == exits.USAGE and "invoicing.sources[1]" in said and "'ledger'" in said
    (tmp_path / "billing-hub.toml").write_text(
        '[connectors.books]\ntype = "csv"\nfiles = []\n\n'
        '[invoicing]\nsources = ["books"]\nmailer = "books"\n', encoding="utf-8")
    code, _, err = cli(capsys, "config", "check")
    assert code == exits.USAGE and "invoicing.from_address" in " ".join(err.split())
