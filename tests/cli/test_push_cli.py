"""``billing-hub push queue|send|list|retry`` against a CSV ledger and the Stripe simulator."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.cli import exits
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer
from tests.support.hub import cli, cli_process, wait_for, write_config

DUE = (datetime.now(UTC) + timedelta(days=30)).strftime("%m/%d/%Y")
TODAY = datetime.now(UTC).strftime("%m/%d/%Y")
CUSTOMERS = ("Customer ID,Customer,Email\nC-001,Alfreds Futterkiste,orders@alfreds.example\n"
             "C-002,Kyoto Trading,ap@kyoto.example\n")
HEADER = "Date,No.,Customer,Due Date,Currency,Amount,Open Balance,Status\n"
INVOICES = HEADER + (
    f'{TODAY},INV-1,Alfreds Futterkiste,{DUE},EUR,"1,250.00",1250.00,Open\n'
    f"{TODAY},INV-2,Kyoto Trading,{DUE},JPY,5000,5000,Open\n"
    f"{TODAY},INV-3,Alfreds Futterkiste,{DUE},EUR,40.00,0.00,Void\n"
    f"{TODAY},INV-4,Unknown GmbH,{DUE},EUR,99.00,99.00,Open\n")
BODY = """
[connectors.books]
type = "csv"

[[connectors.books.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["Customer ID"]
columns = {{ name = "Customer", email = "Email" }}

[[connectors.books.files]]
path = "invoices.csv"
preset = "quickbooks-invoices"
columns = {{ currency = "Currency" }}

[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000

[connectors.stripe_down]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "http://127.0.0.1:9"
max_attempts = 1

[[push.mirrors]]
from = "books"
to = "stripe"
"""


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, SimulatorServer]]:
    simulator = Simulator(seed=5)
    with SimulatorServer(simulator) as server:
        yield simulator, server


@pytest.fixture
def ledger(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
           sim: tuple[Simulator, SimulatorServer]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    return write_config(tmp_path, store_url, BODY.format(url=sim[1].url))


def test_queue_send_and_list_mirror_the_ledger_into_stripe(
    ledger: Path, sim: tuple[Simulator, SimulatorServer], capsys: pytest.CaptureFixture[str],
) -> None:
    simulator, _ = sim
    assert cli(capsys, "sync", "books", "--no-progress")[0] == exits.OK
    code, out, _ = cli(capsys, "push", "list")
    assert code == exits.OK and "No pending, failed or conflict changes" in out

    code, out, _ = cli(capsys, "push", "queue")  # the config's [[push.mirrors]]
    assert code == exits.OK
    assert "5 change(s) queued" in out  # 2 customers, 3 invoices (the void one is not)
    code, out, _ = cli(capsys, "push", "list")
    assert "create invoice" in out and "books:invoice:INV-1" in out and "create customer" in out
    assert out.count("needs approval") == 5

    # nothing goes until a person approves it
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.NEEDS_PERSON and "5 change(s) wait for approval" in out
    assert not simulator.store.customers and not simulator.store.invoices
    code, out, _ = cli(capsys, "push", "approve", "--all")
    assert code == exits.OK and "5 change(s) approved" in out
    code, out, _ = cli(capsys, "push", "list")
    assert out.count("approved by") == 5 and "needs approval" not in out

    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.NEEDS_PERSON, out  # INV-4's customer is in no customer list
    assert "stripe" in out and "Some changes need a person" in out
    assert len(simulator.store.customers) == 2 and len(simulator.store.invoices) == 2
    code, out, _ = cli(capsys, "push", "list", "--status", "rejected")
    assert "INV-4" in out and "not in Stripe yet" in out and "push the customer first" in out

    code, out, _ = cli(capsys, "push", "send")
    assert code == exits.OK and "Nothing to send" in out
    code, out, _ = cli(capsys, "push", "queue")
    assert "Nothing new to queue" in out

    # the ledger records INV-1's payment: Stripe's invoice is marked paid out of band
    (ledger.parent / "invoices.csv").write_text(
        INVOICES.replace('"1,250.00",1250.00,Open', '"1,250.00",0.00,Paid'), encoding="utf-8")
    assert cli(capsys, "sync", "books", "--no-progress")[0] == exits.OK
    code, out, _ = cli(capsys, "push", "queue", "--to", "stripe", "--from", "books",
                       "--entity", "invoice")
    assert code == exits.OK and "1 change(s) queued" in out
    code, out, _ = cli(capsys, "push", "plan", "stripe")  # read from Stripe, nothing written
    assert code == exits.OK and "mark paid invoice books:invoice:INV-1 -> stripe: updated" in out
    assert "needs approval" in out and "in stripe now" in out
    assert re.search(r"\nstatus +open +paid +- +written", out), out
    assert re.search(r"\namount_remaining +1,250\.00 EUR +0\.00 EUR", out), out
    assert not [i for i in simulator.store.invoices.values() if i.status == "paid"]
    code, out, _ = cli(capsys, "push", "send", "stripe", "--no-progress", "--unapproved")
    assert code == exits.OK
    (paid,) = [i for i in simulator.store.invoices.values() if i.status == "paid"]
    assert paid.paid_out_of_band and paid.metadata["hub_external_id"] == "INV-1"


def test_push_commands_say_what_is_wrong_and_what_to_do(
    ledger: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    cli(capsys, "sync", "books", "--no-progress")
    code, _, err = cli(capsys, "push", "queue", "--to", "stripe")
    assert code == exits.USAGE and "name both the target (--to) and the source (--from)" in err
    code, _, err = cli(capsys, "push", "queue", "--to", "books", "--from", "stripe")
    assert code == exits.USAGE and "connector 'books' does not push customers" in err
    code, _, err = cli(capsys, "push", "list", "--status", "lost")
    assert code == exits.FAILED and "unknown status 'lost'" in err

    code, out, _ = cli(capsys, "push", "queue", "--to", "stripe_down", "--from", "books",
                       "--entity", "customer")
    assert "2 change(s) queued" in out
    code, out, err = cli(capsys, "push", "send", "stripe_down", "--no-progress",
                         "--unapproved")
    assert code == exits.FAILED
    assert "stripe_down stopped" in err and "Stripe did not answer" in err
    assert "2 change(s) stay queued and go again, with the same keys" in err
    assert DEFAULT_API_KEY not in out + err
    code, out, _ = cli(capsys, "push", "list", "stripe_down")
    assert len(re.findall(r"#\d+ create customer books:customer:C-00", out)) == 2, out
    assert "Stripe did not answer" in out
    assert re.search(r"\nname +Kyoto Trading +-", out), out  # what the create would write

    code, _, err = cli(capsys, "push", "retry")
    assert code == exits.FAILED and "--all" in err


def _scheduled_push(config: Path, lines_wanted: str) -> str:
    """``billing-hub run-schedule --now`` in its own process until its push job is done."""
    with cli_process("--config", str(config), "run-schedule", "--now",
                     cwd=config.parent) as (proc, lines):
        wait_for(lambda: any("next: push" in line for line in lines),
                 "run-schedule to push once and wait", timeout=60)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == exits.OK
    text = "".join(lines)
    assert lines_wanted in text, text
    return text


@pytest.mark.slow
def test_a_scheduled_push_sends_only_approved_changes_unless_the_config_says_all(
    ledger: Path, sim: tuple[Simulator, SimulatorServer], capsys: pytest.CaptureFixture[str],
) -> None:
    simulator, _ = sim
    job = '\n[[schedule.jobs]]\ntask = "push"\ntarget = "stripe"\ncron = "0 0 1 1 *"\n'
    ledger.write_text(ledger.read_text(encoding="utf-8") + job, encoding="utf-8")
    cli(capsys, "sync", "books", "--no-progress")
    cli(capsys, "push", "queue", "--to", "stripe", "--from", "books", "--entity", "customer")
    [first, _second] = re.findall(r"#(\d+) create customer", cli(capsys, "push", "list")[1])
    assert cli(capsys, "push", "approve", first)[0] == exits.OK

    _scheduled_push(ledger, "1 created, 0 updated, 0 unchanged, 0 rejected, 0 failed, "
                            "0 in conflict, 1 still queued (1 waiting for approval)")
    assert [c.name for c in simulator.store.customers.values()] == ["Alfreds Futterkiste"]

    ledger.write_text(ledger.read_text(encoding="utf-8") + '\n[push]\nscheduled = "all"\n',
                      encoding="utf-8")
    _scheduled_push(ledger, "1 created, 0 updated, 0 unchanged, 0 rejected, 0 failed, "
                            "0 in conflict, 0 still queued")
    assert len(simulator.store.customers) == 2


def test_a_change_can_be_rejected_and_a_dry_run_sends_nothing(
    ledger: Path, sim: tuple[Simulator, SimulatorServer], capsys: pytest.CaptureFixture[str],
) -> None:
    simulator, _ = sim
    cli(capsys, "sync", "books", "--no-progress")
    cli(capsys, "push", "queue", "--to", "stripe", "--from", "books", "--entity", "customer")
    ids = re.findall(r"#(\d+) create customer books:customer:C-00(\d)",
                     cli(capsys, "push", "list")[1])
    kyoto = next(i for i, n in ids if n == "2")
    code, out, _ = cli(capsys, "push", "send", "--dry-run")
    assert code == exits.OK and out.count("create customer") == 2 and "-> stripe: created" in out
    assert re.search(r"\nname +- +Kyoto Trading", out), out  # Stripe has none of it yet
    assert not simulator.store.customers

    code, _, err = cli(capsys, "push", "reject", kyoto, "--reason", " ")
    assert code == exits.FAILED and "say why" in err
    code, out, _ = cli(capsys, "push", "reject", kyoto, "--reason", "a test customer")
    assert code == exits.OK and f"Change {kyoto} rejected" in out
    code, out, _ = cli(capsys, "push", "approve", "--all", "--to", "stripe")
    assert "1 change(s) approved" in out
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK
    assert [c.name for c in simulator.store.customers.values()] == ["Alfreds Futterkiste"]
    code, out, _ = cli(capsys, "push", "list", "--status", "declined")
    assert "Kyoto Trading" in out and "a test customer" in out and "rejected by" in out
    code, _, err = cli(capsys, "push", "approve", kyoto)
    assert code == exits.FAILED and "is declined" in err
