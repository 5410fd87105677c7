"""Nobody's edit is overwritten in Stripe either: a ledger's customers mirrored into the
Stripe simulator while someone edits them in Stripe, through the CLI (the real stripe SDK
over HTTP). What Stripe holds is read from the simulator's store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.cli import exits
from plugins.stripe.simulator import DEFAULT_API_KEY, Simulator, SimulatorServer
from tests.support.hub import cli, write_config

BODY = """
[connectors.ledger]
type = "csv"

[[connectors.ledger.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["Customer ID"]
columns = {{ name = "Customer", email = "Email", phone = "Phone" }}

[connectors.stripe]
type = "stripe"
api_key = "env:BH_TEST_STRIPE_KEY"
api_base = "{url}"
requests_per_second = 1000

[[push.mirrors]]
from = "ledger"
to = "stripe"
entities = ["customer"]
"""


def _ledger(folder: Path, email: str, phone: str = "+1 555 0100") -> None:
    (folder / "customers.csv").write_text(
        f"Customer ID,Customer,Email,Phone\nC-1,Kyoto Trading,{email},{phone}\n",
        encoding="utf-8")


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, SimulatorServer]]:
    simulator = Simulator(seed=5)
    with SimulatorServer(simulator) as server:
        yield simulator, server


@pytest.fixture
def mirrored(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
             sim: tuple[Simulator, SimulatorServer], capsys: pytest.CaptureFixture[str]
             ) -> tuple[Simulator, str, Path]:
    """Customer C-1 mirrored into Stripe; the Stripe customer's id."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BH_TEST_STRIPE_KEY", DEFAULT_API_KEY)
    _ledger(tmp_path, "ap@kyoto.example")
    config = write_config(tmp_path, store_url, BODY.format(url=sim[1].url))
    assert cli(capsys, "sync", "ledger", "--no-progress")[0] == exits.OK
    cli(capsys, "push", "queue")
    assert cli(capsys, "push", "send", "--no-progress", "--unapproved")[0] == exits.OK
    [made] = [c for c in sim[0].store.customers.values()
              if c.metadata.get("hub_external_id") == "C-1"]
    return sim[0], made.id, config


def _someone_in_stripe_sets(sim: tuple[Simulator, SimulatorServer], customer: str,
                            **fields: str) -> None:
    """An edit in Stripe's dashboard: a POST of its own to the Stripe API."""
    answer = httpx.post(f"{sim[1].url}/v1/customers/{customer}", data=fields,
                        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
    assert answer.status_code == 200, answer.text


def _held(simulator: Simulator, customer: str) -> tuple[str | None, str | None]:
    c = simulator.store.customers.get(customer)
    assert c is not None
    return c.email, c.phone


def _queue(capsys: pytest.CaptureFixture[str]) -> str:
    assert cli(capsys, "sync", "ledger", "--no-progress")[0] == exits.OK
    assert "1 change(s) queued" in cli(capsys, "push", "queue")[1]
    [change_id] = re.findall(r"#(\d+) update customer ledger:customer:C-1", cli(capsys, "push",
                                                                        "list")[1])
    return change_id


def test_stripe_edits_are_kept_and_a_same_field_edit_waits_for_a_person(
        mirrored: tuple[Simulator, str, Path], sim: tuple[Simulator, SimulatorServer],
        capsys: pytest.CaptureFixture[str]) -> None:
    simulator, customer, config = mirrored
    # different fields: Stripe's e-mail edit is kept, the ledger's phone goes
    _someone_in_stripe_sets(sim, customer, email="billing@kyoto.example")
    _ledger(config.parent, "ap@kyoto.example", phone="+1 555 0199")
    change_id = _queue(capsys)
    code, out, _ = cli(capsys, "push", "plan")
    assert re.search(r"email +billing@kyoto\.example +ap@kyoto\.example +ap@kyoto\.example "
                     r"+kept as theirs", out), out
    assert re.search(r"phone +\+1 555 0100 +\+1 555 0199 +\+1 555 0100 +written", out), out
    assert cli(capsys, "push", "approve", change_id)[0] == exits.OK
    code, out, _ = cli(capsys, "push", "send", "--no-progress")
    assert code == exits.OK, out
    assert _held(simulator, customer) == ("billing@kyoto.example", "+1 555 0199")

    # the same field: nothing is sent until a person decides
    _someone_in_stripe_sets(sim, customer, email="finance@kyoto.example")
    _ledger(config.parent, "accounts@kyoto.example", phone="+1 555 0199")
    change_id = _queue(capsys)
    code, out, _ = cli(capsys, "push", "send", "--no-progress", "--unapproved")
    assert code == exits.NEEDS_PERSON and "Changed in both systems" in out
    assert _held(simulator, customer)[0] == "finance@kyoto.example"
    code, out, _ = cli(capsys, "push", "list", "--status", "conflict")
    assert re.search(r"email +finance@kyoto\.example +accounts@kyoto\.example +"
                     r"ap@kyoto\.example +CONFLICT", out), out
    code, out, _ = cli(capsys, "findings", "show", _finding_id(capsys))
    assert "finance@kyoto.example" in out and f"push send-ours {change_id}" in out

    assert cli(capsys, "push", "send-ours", change_id)[0] == exits.OK
    assert "concurrent_edit" not in cli(capsys, "findings", "list")[1]  # settled
    assert cli(capsys, "push", "send", "--no-progress")[0] == exits.OK
    assert _held(simulator, customer)[0] == "accounts@kyoto.example"


def _finding_id(capsys: pytest.CaptureFixture[str]) -> str:
    out = cli(capsys, "findings", "list", "--kind", "concurrent_edit")[1]
    found = re.findall(r"│\s*(\d+) │ concurrent_edit", out)
    assert found, out
    return found[0]
