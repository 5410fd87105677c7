"""The billing-hub command: init, sync, status, quarantine, plugins, export, demo."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rich.console import Console

from hub.cli import console, exits
from hub.cli.app import COMMANDS, command_line
from hub.cli.lazy import LazyCommand
from hub.collect.settings import CollectionSettings
from hub.config import load_config
from hub.contract.mail import Mailer
from hub.contract.outcomes import EntityCounts, RunSummary
from hub.invoicing.settings import InvoicingSettings
from hub.outbox.settings import PushSettings
from hub.plugins import load_plugins
from hub.store import open_store
from hub.store.clock import utcnow
from hub.store.schema import audit_log, quarantine, records, runs
from hub.web.settings import WebSettings
from tests.support.hub import cli, connector_of, opened, write_config
from tests.support.invoices import BOOKS, GOOD

ONE_BAD = GOOD + "INV-3,Initech,2026-03-32,7.00\n"


@pytest.fixture
def books(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoices.csv").write_text(ONE_BAD, encoding="utf-8")
    return write_config(tmp_path, store_url, BOOKS)


def _count(config: Path, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
                       .scalar_one())
    finally:
        engine.dispose()


def test_init_writes_a_config_that_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "init")
    assert code == exits.OK and "Wrote billing-hub.toml" in out
    config = load_config(tmp_path / "billing-hub.toml")
    assert config.connectors["books"].type == "csv"
    assert config.store_url() == f"sqlite:///{(tmp_path / 'billing-hub.db').resolve()}"
    # the commented Stripe section works once uncommented, and the push mirror with it
    text = (tmp_path / "billing-hub.toml").read_text()
    (tmp_path / "with-stripe.toml").write_text(opened(opened(text, "# [connectors.stripe]"),
                                                       "# [push]"))
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_init_example_key")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_init_example_secret")
    with_stripe = load_config(tmp_path / "with-stripe.toml")
    connector = connector_of(with_stripe, "stripe")  # validates the section
    assert list(connector.entities()) == ["customer", "invoice", "payment", "refund",
                                          "credit_note", "payout"]
    assert "webhook" in type(connector).implements()
    connector.close()
    mirrors = PushSettings.of(with_stripe).mirrors
    assert [(m.source, m.target, m.entities, m.mark_paid) for m in mirrors
            ] == [("books", "stripe", ["customer", "invoice"], True)]
    assert PushSettings.of(config).mirrors == []
    web = WebSettings.of(config)
    assert (web.host, web.port, web.process_webhooks) == (
        "127.0.0.1", 8000, True)
    # ... and so does the QuickBooks one, with the store's secret key it needs
    (tmp_path / "with-qbo.toml").write_text(
        opened(opened(text, "# [connectors.qbo]"), "# secret_key"))
    for name in ("QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "QBO_REFRESH_TOKEN"):
        monkeypatch.setenv(name, f"{name.lower()}-example-value")
    monkeypatch.setenv("BILLING_HUB_SECRET_KEY", "an-example-store-secret-key")
    with_qbo = load_config(tmp_path / "with-qbo.toml")
    assert with_qbo.store.secret_key is not None
    connector = connector_of(with_qbo, "qbo", registry=load_plugins())
    assert list(connector.entities()) == ["customer", "invoice", "payment", "credit_note"]
    connector.close()
    code, _, err = cli(capsys, "init")
    assert code == exits.USAGE and "already exists" in err and "--force" in err
    assert cli(capsys, "init", "--force")[0] == exits.OK


def test_missing_config_says_to_run_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "sync")
    assert code == exits.USAGE
    assert "does not exist" in err and "billing-hub init" in err


def test_bad_config_value_names_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "sqlite:///x.db", BOOKS.replace('entity = "invoice"',
                                                             'entity = "invoices"'))
    code, _, err = cli(capsys, "sync")
    assert code == exits.USAGE
    assert "connectors.books.files[0].entity" in err
    assert "Traceback" not in err


def test_unknown_connector_and_unknown_type(books: Path, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    code, _, err = cli(capsys, "sync", "bank")
    assert code == exits.USAGE and "no connector named 'bank'" in err and "books" in err
    books.write_text(books.read_text().replace('type = "csv"', 'type = "xero"'))
    code, _, err = cli(capsys, "sync")
    assert code == exits.USAGE and "'xero'" in err and "csv" in err


def test_sync_quarantine_fix_and_retry(books: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "sync", "--no-progress")
    assert code == exits.QUARANTINED
    assert "quarantine list" in out
    assert _count(books, records) == 2

    code, out, _ = cli(capsys, "quarantine", "list")
    assert code == exits.OK and "invoices.csv:4" in out and "2026-03-32" in out
    entry_id = _count(books, quarantine)
    code, out, _ = cli(capsys, "quarantine", "list", "--json")
    [listed] = json.loads(out)
    assert code == exits.OK and listed["id"] == entry_id and listed["status"] == "open"
    assert (listed["source"], listed["entity"], listed["external_id"], listed["location"]) == (
        "books", "invoice", "INV-3", "invoices.csv:4")
    assert "not a valid date" in listed["reason"] and listed["times_seen"] == 1
    assert listed["raw"]["Customer"] == "Initech" and listed["raw"]["Date"] == "2026-03-32"
    code, out, _ = cli(capsys, "quarantine", "show", str(entry_id))
    assert code == exits.OK and '"Customer": "Initech"' in out and "not a valid date" in out
    code, _, err = cli(capsys, "quarantine", "show", "999")
    assert code == exits.FAILED and "quarantine list" in err

    code, out, _ = cli(capsys, "quarantine", "retry", "--all")
    assert code == exits.QUARANTINED and "still failing" in out

    # the coordinator fixes the date format of that row in the mapping's terms
    (tmp_path / "invoices.csv").write_text(ONE_BAD.replace("2026-03-32", "2026-03-31"), "utf-8")
    code, out, _ = cli(capsys, "quarantine", "retry", str(entry_id))
    # retry maps the *quarantined* raw row again: still the old, broken date
    assert code == exits.QUARANTINED
    code, out, _ = cli(capsys, "sync", "--no-progress")
    assert code == exits.OK
    assert _count(books, records) == 3
    assert _count(books, quarantine, quarantine.c.status == "open") == 0
    assert cli(capsys, "quarantine", "list")[1].startswith("Nothing in quarantine")
    assert json.loads(cli(capsys, "quarantine", "list", "--json")[1]) == []
    assert [e["status"] for e in json.loads(cli(capsys, "quarantine", "list", "--all",
                                                "--json")[1])] == ["resolved"]


def test_retry_after_a_mapping_fix(tmp_path: Path, store_url: str,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoices.csv").write_text(
        "Number,Customer,Date,Total,Cur\nINV-1,Acme,2026-03-01,100.00,EUR\n"
        "INV-2,Globex,2026-03-02,5.50,\n", encoding="utf-8")
    mapping = BOOKS.replace('defaults = { currency = "USD" }\n', "").replace(
        'total = "Total" }', 'total = "Total", currency = "Cur" }')
    config = write_config(tmp_path, store_url, mapping)
    assert cli(capsys, "sync", "--no-progress")[0] == exits.QUARANTINED
    code, out, _ = cli(capsys, "quarantine", "list")
    assert "currency" in out

    config.write_text(config.read_text().replace(
        'entity = "invoice"', 'entity = "invoice"\ndefaults = { currency = "USD" }'))
    code, out, _ = cli(capsys, "quarantine", "retry", "--all")
    assert code == exits.OK, out
    assert "fixed" in out and "INV-2 created" in out
    assert _count(config, records) == 2
    assert _count(config, quarantine, quarantine.c.status == "open") == 0
    assert _count(config, audit_log, audit_log.c.action == "quarantine.retried") == 1
    assert _count(config, runs, runs.c.kind == "retry") == 1


def test_status_shows_runs_and_failures(books: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, "sync", "--no-progress")
    totals = json.loads(cli(capsys, "status", "--json")[1])["last_sync_totals"]
    assert [(t["currency"], t["read"], t["stored"], t["quarantined"], t["stored_sum"])
            for t in totals] == [("USD", 2, 2, 0, "105.50"), (None, 1, 0, 1, None)]
    (tmp_path / "invoices.csv").unlink()
    code, _, err = cli(capsys, "sync", "--no-progress")
    assert code == exits.FAILED and "invoices.csv" in err
    code, out, _ = cli(capsys, "status")
    assert code == exits.OK
    assert "failed" in out and "succeeded" in out
    assert "books" in out and "invoice" in out
    assert _count(books, runs, runs.c.status == "failed") == 1
    code, out, _ = cli(capsys, "status", "--json")
    shown = json.loads(out)
    assert code == exits.OK and shown["schema_current"] is True
    assert shown["records"] == [{"source": "books", "entity": "invoice", "records": 2,
                                 "quarantined": 1}]
    failed, succeeded = shown["runs"]  # the newest first
    assert (failed["status"], failed["connector"], failed["kind"]) == ("failed", "books", "sync")
    assert "invoices.csv" in failed["error"]
    assert (succeeded["status"], succeeded["new"], succeeded["quarantined"]) == (
        "succeeded", 2, 1)


def test_plugins_lists_the_csv_connector(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "plugins")
    assert code == exits.OK
    assert "csv" in out and "billing-hub" in out
    for entity in ("customer (pull)", "invoice (pull)", "payment (pull)",
                   "bank_transaction (pull)"):
        assert entity in out


def test_plugins_shows_a_broken_plugin_and_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    dist = site / "bh_broken-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bh-broken\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[billing_hub]\nbroken = bh_broken_plugin\n")
    (site / "bh_broken_plugin.py").write_text("raise RuntimeError('needs a licence key')\n")
    monkeypatch.syspath_prepend(str(site))
    code, out, _ = cli(capsys, "plugins")
    assert code == exits.OK
    assert "bh-broken" in out and "1.2.3" in out and "needs a licence key" in out
    assert "invoice (pull)" in out


def test_export_writes_formula_safe_csv(books: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "invoices.csv").write_text(GOOD.replace("Globex", "=cmd()"), "utf-8")
    cli(capsys, "sync", "--no-progress")
    code, _, err = cli(capsys, "export", "invoice", "-o", "out.csv")
    assert code == exits.OK and "2 invoice record(s)" in err
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "'=cmd()" in text and "100.00" in text
    code, out, _ = cli(capsys, "export", "invoice")
    assert out.startswith("source,external_id,")


def test_demo_imports_then_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "demo", "--no-progress")
    assert code == exits.OK, out
    config = tmp_path / "billing-hub-demo" / "billing-hub.toml"
    assert _count(config, records) > 50
    assert _count(config, quarantine) == 2
    assert "What billing-hub found" in out and "overdue" in out
    for kind in ("duplicate_invoice", "duplicate_payment", "paid_without_payment",
                 "unapplied_payment"):
        assert kind in out
    assert "quickbooks-invoices.csv:11" in out
    # the simulated Stripe account, read by the Stripe connector over HTTP
    assert "reads a simulated Stripe account" in out
    assert _count(config, records, records.c.source == "stripe") == 10  # 3+3+3 and a payout
    assert "status_mismatch" in out and "open for $2,317.49" in out  # INV-1017, paid by card
    assert "payout_without_deposit" in out and "fees €112.74" in out
    assert "books has INV-1001" not in out  # QuickBooks-only invoices are not missing in Stripe
    # INV-1018 is open in QuickBooks and in Stripe: one invoice, owed once, as the ledger
    # (the system of record) has it; its USD open balances are what the headline says
    with (config.parent / "data" / "quickbooks-invoices.csv").open(encoding="utf-8") as fh:
        ledger_usd = sum(Decimal(r["Open Balance"].replace(",", ""))
                         for r in csv.DictReader(fh) if r["Currency"] == "USD")
    assert ledger_usd == Decimal("11290.06")
    assert f"owed EUR 19,948.40 + USD {ledger_usd:,}" in out
    code, shown, _ = cli(capsys, "--config", str(config), "metrics", "--until", "2026-12-03",
                         "-f", "json", "--explain")
    usd = json.loads(shown)["by_currency"]["USD"]["receivables"]
    assert Decimal(usd["value"]) == ledger_usd
    inv_1018 = next(r for r in usd["records"] if r["record"] == "books:invoice:INV-1018")
    assert inv_1018["amount"] == "2561.09" and inv_1018["set_aside"][0].startswith(
        "stripe:invoice:in_")
    first = _count(config, records)

    code, out, _ = cli(capsys, "demo", "--no-progress")
    assert code == exits.OK
    assert _count(config, records) == first
    assert _count(config, quarantine) == 2
    assert _count(config, runs) == 10  # four syncs and a reconcile, twice
    engine = open_store(load_config(config).store_url())
    with engine.connect() as conn:
        latest = conn.execute(sa.select(runs.c.counts).where(runs.c.kind == "sync")
                              .order_by(runs.c.id.desc()).limit(4)).all()
        assert len(latest) == 4
        assert all('"created":0' in c and '"updated":0' in c for (c,) in latest)
    engine.dispose()
    # the demo never overwrites files the user has edited
    data = tmp_path / "billing-hub-demo" / "data" / "quickbooks-invoices.csv"
    data.write_text(data.read_text().replace("1,2O0.00", "1,629.62"))
    code, out, _ = cli(capsys, "demo", "--no-progress")
    assert _count(config, quarantine, quarantine.c.status == "open") == 1


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "sync", "--nope")[0] == exits.USAGE
    assert cli(capsys, "quarantine", "retry")[0] == exits.USAGE


def test_config_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "invoices.csv").write_text(GOOD, encoding="utf-8")
    cfg = write_config(folder, "sqlite:///hub.db", textwrap.dedent(BOOKS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BILLING_HUB_CONFIG", str(cfg))
    assert cli(capsys, "sync", "--no-progress")[0] == exits.OK
    assert (folder / "hub.db").exists()


def test_a_bar_without_a_known_total_shows_no_percentage() -> None:
    from rich.progress import Progress

    from hub.cli.sync_cmd import PercentColumn

    with Progress(disable=True) as bars:
        unknown = bars.add_task("x", total=None)
        known = bars.add_task("y", total=200, completed=50)
        column = PercentColumn()
        assert column.render(bars.tasks[unknown]).plain.strip() == ""
        assert column.render(bars.tasks[known]).plain == " 25%"


def test_the_counts_table_shows_deletions_only_when_a_run_saw_some() -> None:
    def shown(*counts: EntityCounts) -> list[str]:
        summaries = [RunSummary(i + 1, "sync", "stripe", "succeeded", utcnow(),
                                counts={"customer": c}) for i, c in enumerate(counts)]
        screen = Console(width=120, record=True)
        screen.print(console.counts_table(summaries))
        return screen.export_text().splitlines()

    quiet = shown(EntityCounts(created=3))
    assert "deleted" not in quiet[1]
    busy = shown(EntityCounts(unchanged=3), EntityCounts(unchanged=2, deleted=1))
    assert "deleted" in busy[1]
    assert [cell.strip() for cell in busy[-2].split("│")[1:-1]] == [
        "stripe", "customer", "0", "0", "2", "0", "1", "2"]  # new ... quarantined, deleted, run


def test_the_commented_email_and_collections_blocks_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init")[0] == exits.OK
    text = (tmp_path / "billing-hub.toml").read_text()
    (tmp_path / "with-mail.toml").write_text(
        opened(opened(text, "# [connectors.mail]"), "# [collections]"))
    monkeypatch.setenv("MAIL_PASSWORD", "an-example-mail-password")
    config = load_config(tmp_path / "with-mail.toml")
    connector = connector_of(config, "mail")  # validates the section
    assert list(connector.entities()) == ["payment", "reply"]
    assert isinstance(connector, Mailer)
    connector.close()
    assert config.has_table("collections")
    collections = CollectionSettings.of(config)
    assert (collections.source, collections.mailer) == ("books", "mail")
    assert [(s.days_overdue, s.label) for s in collections.stages] == [
        (7, "friendly"), (30, "firm"), (45, "call"), (60, "escalate")]
    assert (collections.time_zone, collections.country, collections.max_contacts,
            collections.contact_window_days) == ("America/New_York", "US", 7, 7)
    assert (str(collections.contact_hours.start), str(collections.contact_hours.end)) == (
        "08:00:00", "21:00:00")


def test_the_commented_invoicing_block_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "init")[0] == exits.OK
    text = (tmp_path / "billing-hub.toml").read_text()
    (tmp_path / "with-invoicing.toml").write_text(
        opened(opened(text, "# [connectors.mail]"), "# [invoicing]"))
    config = load_config(tmp_path / "with-invoicing.toml")
    invoicing = InvoicingSettings.of(config)
    assert (invoicing.sources, invoicing.mailer, invoicing.send_within_days) == (
        ["books"], "mail", 3)


def _all_commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``group`` (typer carries its own click: walked by duck typing)."""
    for name, listed in group.commands.items():
        command = listed.load() if isinstance(listed, LazyCommand) else listed
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _all_commands(command, (*path, name))


def test_every_help_shows_the_config_sections_it_names(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rich markup would take "[schedule]" for a style tag and drop it from the help.
    monkeypatch.setenv("COLUMNS", "400")
    checked = 0
    for path, command in _all_commands(command_line()):
        sources = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        named = {m for text in sources for m in re.findall(r"\[([a-z_.]+)\]", text)}
        if not named:
            continue
        code, out, _ = cli(capsys, *path, "--help")
        assert code == exits.OK, path
        for section in named:
            assert f"[{section}]" in out, f"`billing-hub {' '.join(path)} --help` lost [{section}]"
        checked += 1
    assert checked >= 3  # collect, run-schedule and worker name their sections


def test_data_with_brackets_is_printed_as_it_is(tmp_path: Path, store_url: str,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Rich would read "[EU]" or "[bold]" in a customer's data as markup and drop it, and
    # ":rocket:" as an emoji code.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoices.csv").write_text(
        GOOD + "INV-3,Initech [EU],[bold]2026-03-01:rocket:,7.00\n", encoding="utf-8")
    write_config(tmp_path, store_url, BOOKS)
    assert cli(capsys, "sync", "--no-progress")[0] == exits.QUARANTINED
    code, out, _ = cli(capsys, "quarantine", "list")
    assert code == exits.OK and "[bold]2026-03-01:rocket:" in out
    code, out, _ = cli(capsys, "quarantine", "show", "1")
    assert code == exits.OK
    assert "[open]" in out.splitlines()[0]
    assert "reason:  " in out and "[bold]2026-03-01:rocket:" in out.split("raw:")[0]
    assert '"Customer": "Initech [EU]"' in out


def test_init_names_the_sections_to_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "init")
    assert code == exits.OK and "Edit the [connectors] sections" in out


def test_the_command_table_gives_each_command_s_own_summary() -> None:
    listed = command_line().commands
    assert len(listed) == len(COMMANDS) >= 25
    for name, command in listed.items():
        real = command.load()
        own = (real.short_help or real.help or "").strip().split("\n\n")[0]
        assert " ".join(command.short_help.split()) == " ".join(own.split()), name


def test_starting_the_cli_imports_only_the_command_that_runs() -> None:
    heavy = ("sqlalchemy", "alembic", "hub.reconcile.runner", "hub.reconcile.matching",
             "hub.web", "hub.store", "stripe", "quickbooks", "starlette")
    probe = ("import sys; from hub.cli.app import run; code = run(sys.argv[1:]); "
             f"print('LOADED:' + ' '.join(m for m in {heavy!r} if m in sys.modules))")
    for args in (["--help"], ["--version"], ["plugins"], ["init", "--help"]):
        shown = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                               text=True, check=True).stdout
        assert shown.rstrip().endswith("LOADED:"), (args, shown[-200:])
