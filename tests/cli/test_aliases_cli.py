"""Payer aliases: ``billing-hub aliases list|add|remove``, and the alias ``apply-payment``
learns from the payer it confirms, which the reconciler's snapshot then reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.cli import exits
from hub.cli.app import run
from hub.config import load_config
from hub.errors import HubError
from hub.reconcile import snapshot
from hub.store import aliases as store_aliases
from hub.store import audit, open_store
from hub.store.schema import audit_log, outbox, payer_aliases, records
from tests.support import ledger
from tests.support.company import BODY, BOOKS, PAYMENTS, write_company
from tests.support.hub import cli, write_config

CUSTOMERS = """\
Id,Name,Email,Aliases
C-1,Hooli,ap@hooli.example,Hooli XYZ
C-2,Wayne Enterprises,,
C-3,Stark Industries,,
C-4,Stark Industries,,
C-5,Wayne Enterprises Europe,,
"""
MORE_PAYMENTS = """\
P9,2026-03-27,10.00,USD,  hooli   XYZ ,,
P10,2026-03-28,50.00,USD,Hooli Holdings Ltd,,
P11,2026-03-29,200.00,USD,Wayne Holdings,,
P12,2026-03-30,100.00,USD,Stark Intl,,
P13,2026-03-31,100.00,USD,Globex Corporation,,
P14,2026-04-01,300.00,USD,WE Europe GmbH,,
"""
# Books' invoices name their customer by reference as well; INV-1009 is Wayne's
# European company's, whatever its customer name says.
# ... and books is a ledger that takes payment applications (a CSV export cannot).
CUSTOMERS_BODY = BODY.replace('status = "Status"\n', 'status = "Status"\ncustomer_ref = "Ref"\n',
                              1).replace('[connectors.books]\ntype = "csv"',
                                         '[connectors.books]\ntype = "csv-ledger"', 1) + """
[[connectors.books.files]]
path = "customers.csv"
entity = "customer"
id_columns = ["Id"]
columns = { name = "Name", email = "Email", aliases = "Aliases" }
"""


def _books_with_refs() -> str:
    lines = BOOKS.splitlines()
    out = [lines[0] + ",Ref"]
    for line in lines[1:]:
        out.append(line + (",C-5" if line.startswith("INV-1009,") else ","))
    return "\n".join(out) + "\n"


@pytest.fixture
def company(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
            wide_console: None) -> Path:
    monkeypatch.chdir(tmp_path)
    ledger.install(tmp_path / "site", monkeypatch)
    write_company(tmp_path)
    (tmp_path / "books.csv").write_text(_books_with_refs(), encoding="utf-8")
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "payments.csv").write_text(PAYMENTS + MORE_PAYMENTS, encoding="utf-8")
    config = write_config(tmp_path, store_url, CUSTOMERS_BODY)
    assert run(["sync", "--no-progress"]) == exits.OK
    return config


def _query(config: Path, stmt: sa.Select[Any]) -> list[Any]:
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            return list(conn.execute(stmt))
    finally:
        engine.dispose()


def _audit(config: Path, *actions: str) -> list[Any]:
    return _query(config, sa.select(audit_log.c.action, audit_log.c.subject,
                                    audit_log.c.details)
                  .where(audit_log.c.action.in_(actions)).order_by(audit_log.c.id))


def _customer_id(config: Path, ext: str) -> int:
    (row,) = _query(config, sa.select(records.c.id).where(
        records.c.source == "books", records.c.entity == "customer",
        records.c.external_id == ext))
    return int(row[0])


def _snapshot_aliases(config: Path) -> dict[str, tuple[str, ...]]:
    engine = open_store(load_config(config).store_url())
    try:
        with engine.connect() as conn:
            return {c.external_id: c.aliases for c in snapshot.load(conn).customers}
    finally:
        engine.dispose()


def test_add_list_and_remove_by_hand_are_audited(company: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "aliases", "add", "books:C-2", "Wayne Holdings")
    assert code == exits.OK
    assert ("Added 'Wayne Holdings' as an alias of books:customer:C-2 (Wayne Enterprises), "
            "alias 1; "
            "undo: billing-hub aliases remove 1") in out
    wayne = _customer_id(company, "C-2")
    code, out, _ = cli(capsys, "aliases", "add", str(wayne), "Bruce Wayne", "--note",
                       "the owner pays from his own account")
    assert code == exits.OK and "alias 2" in out

    # the same name again, in any case and spacing, or a name the record already has
    for customer, name, why in (
            ("books:C-2", "  wayne   HOLDINGS ", "its alias 1 ('Wayne Holdings')"),
            ("books:C-2", "WAYNE enterprises", "its name"),
            ("books:C-1", "hooli xyz", "an alias in its record ('Hooli XYZ')")):
        code, _, err = cli(capsys, "aliases", "add", customer, name)
        assert code == exits.FAILED and "is already known as" in err and why in err, err
    code, _, err = cli(capsys, "aliases", "add", "books:INV-1005", "Hooli Inc")
    assert code == exits.FAILED and "books:invoice:INV-1005 is not a customer" in err
    code, _, err = cli(capsys, "aliases", "add", "books:NOPE", "Hooli Inc")
    assert code == exits.FAILED and "no record 'books:NOPE'" in err
    code, _, err = cli(capsys, "aliases", "add", "books:C-2", "   ")
    assert code == exits.FAILED and "cannot be empty" in err

    code, out, _ = cli(capsys, "aliases", "list", "books:C-2")
    assert code == exits.OK
    assert "books:customer:C-2 (Wayne Enterprises)" in out and "in its record" in out
    assert ": none" in out
    row = next(ln for ln in out.splitlines() if "Bruce Wayne" in ln)
    assert "the owner pays from his own account" in row and "│ 2 " in row
    assert audit.default_actor() in row
    assert "added by hand" in next(ln for ln in out.splitlines() if "Wayne Holdings" in ln)
    code, out, _ = cli(capsys, "aliases", "list", "books:C-1")
    assert "(read-only, change them in books): Hooli XYZ" in out and "learned: none" in out
    code, out, _ = cli(capsys, "aliases", "list")
    assert out.count("books:customer:C-2 (Wayne Enterprises)") == 2 and "Hooli" not in out

    code, out, _ = cli(capsys, "aliases", "remove", "1")
    assert code == exits.OK and "Removed alias 1, 'Wayne Holdings' of books:customer:C-2" in out
    code, _, err = cli(capsys, "aliases", "remove", "1")
    assert code == exits.FAILED and "already removed" in err
    code, out, _ = cli(capsys, "aliases", "remove", "books:C-2", "bruce   WAYNE")
    assert code == exits.OK and "Removed alias 2, 'Bruce Wayne'" in out
    code, _, err = cli(capsys, "aliases", "remove", "books:C-2", "Bruce Wayne")
    assert code == exits.FAILED and "has no learned alias 'Bruce Wayne'" in err
    code, _, err = cli(capsys, "aliases", "remove", "books:C-2")
    assert code == exits.FAILED and "by its id, or by its customer and the name" in err
    code, _, err = cli(capsys, "aliases", "remove", "99")
    assert code == exits.FAILED and "no alias 99" in err

    code, out, _ = cli(capsys, "aliases", "list", "books:C-2")
    assert "learned: none" in out
    code, out, _ = cli(capsys, "aliases", "list", "books:C-2", "--removed")
    assert "Wayne Holdings" in out and "Bruce Wayne" in out and "removed" in out
    assert out.count(" by ") >= 2

    entries = _audit(company, "alias.added", "alias.removed")
    assert [(a, s) for a, s, _ in entries] == [
        ("alias.added", "alias:1"), ("alias.added", "alias:2"),
        ("alias.removed", "alias:1"), ("alias.removed", "alias:2")]
    assert '"customer":"books:customer:C-2"' in entries[0][2]
    assert '"name":"Wayne Holdings"' in entries[0][2]
    assert '"reason":"the owner pays from his own account"' in entries[1][2]
    (live,) = _query(company, sa.select(sa.func.count()).select_from(payer_aliases)
                     .where(payer_aliases.c.removed_at.is_(None)))
    assert live[0] == 0


def test_apply_payment_learns_the_payer_and_the_snapshot_reads_it(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _snapshot_aliases(company)["C-1"] == ("Hooli XYZ",)
    code, out, _ = cli(capsys, "apply-payment", "bank:P10", "books:INV-1005")
    assert code == exits.OK
    assert "Applied 50.00 USD of bank:payment:P10 to books:invoice:INV-1005" in out
    assert ("Learned 'Hooli Holdings Ltd' as an alias of books:customer:C-1 (Hooli), alias 1; "
            "undo: billing-hub aliases remove 1") in out
    code, out, _ = cli(capsys, "aliases", "list", "books:C-1")
    row = next(ln for ln in out.splitlines() if "Hooli Holdings Ltd" in ln)
    assert "confirmed payment bank:payment:P10 -> books:invoice:INV-1005" in row
    assert [a for a, _, _ in _audit(company, "payment.applied", "alias.added")] == [
        "payment.applied", "alias.added"]
    assert _snapshot_aliases(company)["C-1"] == ("Hooli XYZ", "Hooli Holdings Ltd")

    # applied again: refused, and nothing learned twice
    code, out, err = cli(capsys, "apply-payment", "bank:P10", "books:INV-1005")
    assert code == exits.FAILED and "nothing left to apply" in err and "alias" not in out
    assert len(_audit(company, "alias.added")) == 1
    # a payer the customer is known by already, after casefolding and collapsing spaces
    code, out, _ = cli(capsys, "apply-payment", "bank:P9", "books:INV-1005")
    assert code == exits.OK and "Applied 10.00 USD" in out
    assert ("No alias learned: books:customer:C-1 is already known as 'hooli   XYZ': an alias "
            "in its "
            "record ('Hooli XYZ')") in out
    code, out, _ = cli(capsys, "apply-payment", "bank:P3", "books:INV-1005", "--amount", "1")
    assert "No alias learned: books:customer:C-1 is already known as 'Hooli': its name" in out

    code, out, _ = cli(capsys, "aliases", "remove", "books:C-1", "hooli holdings ltd")
    assert code == exits.OK
    assert _snapshot_aliases(company)["C-1"] == ("Hooli XYZ",)
    code, out, _ = cli(capsys, "aliases", "list", "books:C-1", "--removed")
    assert "Hooli Holdings Ltd" in out


def test_the_customer_is_the_invoice_s_by_reference_else_by_its_exact_name(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # INV-1009 is named "Wayne Enterprises" but refers to C-5
    code, out, _ = cli(capsys, "apply-payment", "bank:P14", "books:INV-1009")
    assert code == exits.OK
    assert ("Learned 'WE Europe GmbH' as an alias of books:customer:C-5 "
            "(Wayne Enterprises Europe)") in out
    code, out, _ = cli(capsys, "apply-payment", "bank:P11", "books:INV-1008")
    assert "Learned 'Wayne Holdings' as an alias of books:customer:C-2 (Wayne Enterprises)" in out
    code, out, _ = cli(capsys, "apply-payment", "bank:P12", "books:INV-1006")
    assert code == exits.OK and "Applied 100.00 USD" in out
    assert ("No alias learned: books has more than one customer named 'Stark Industries'"
            in out)
    code, out, _ = cli(capsys, "apply-payment", "bank:P13", "books:INV-1002")
    assert code == exits.OK and "No alias learned: books has no customer record 'Globex'" in out
    aliases = _snapshot_aliases(company)
    assert aliases["C-5"] == ("WE Europe GmbH",) and aliases["C-2"] == ("Wayne Holdings",)
    assert aliases["C-3"] == aliases["C-4"] == ()


def test_no_learn_applies_without_learning(company: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "apply-payment", "bank:P11", "books:INV-1008", "--no-learn")
    assert code == exits.OK and "Applied 200.00 USD" in out and "alias" not in out
    code, out, _ = cli(capsys, "aliases", "list", "books:C-2")
    assert "learned: none" in out
    assert _audit(company, "alias.added") == []
    assert len(_query(company, sa.select(outbox.c.id))) == 1


def test_the_application_and_the_alias_are_one_transaction(
        company: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise HubError("the store said no")

    monkeypatch.setattr(store_aliases, "learn_payer", broken)
    code, _, err = cli(capsys, "apply-payment", "bank:P11", "books:INV-1008")
    assert code == exits.FAILED and "the store said no" in err
    assert _query(company, sa.select(outbox.c.id)) == []
    assert _audit(company, "payment.applied", "alias.added") == []


def test_a_failed_application_learns_nothing(company: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "apply-payment", "bank:P11", "books:INV-1008", "--amount", "900")
    assert code == exits.FAILED and "has only $200.00 unapplied" in err
    assert _query(company, sa.select(payer_aliases.c.id)) == []


def test_the_snapshot_reads_learned_aliases_in_one_query(
        company: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for customer, name in (("books:C-1", "Hooli Europe"), ("books:C-2", "Wayne Holdings"),
                           ("books:C-2", "Bruce Wayne"), ("books:C-5", "WE Europe GmbH")):
        assert cli(capsys, "aliases", "add", customer, name)[0] == exits.OK
    assert cli(capsys, "aliases", "remove", "books:C-2", "Bruce Wayne")[0] == exits.OK
    engine = open_store(load_config(company).store_url())
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with engine.connect() as conn:
            customers = {c.external_id: c.aliases for c in snapshot.load(conn).customers}
    finally:
        engine.dispose()
    assert sum("payer_aliases" in s for s in statements) == 1
    assert customers == {"C-1": ("Hooli XYZ", "Hooli Europe"), "C-2": ("Wayne Holdings",),
                         "C-3": (), "C-4": (), "C-5": ("WE Europe GmbH",)}
