"""The reconciler on a small company kept in two systems: each kind of finding,
stable keys, the lifecycle, links made by hand, and payment suggestions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.config import HubConfig
from hub.reconcile import lifecycle, linking, reconcile
from hub.store.clock import utcnow
from hub.store.schema import audit_log, findings
from tests.hubkit import hub

BODY = """
[connectors.books]
type = "csv"
[[connectors.books.files]]
path = "books.csv"
entity = "invoice"
date_format = "iso"
[connectors.books.files.columns]
number = "No"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"

[connectors.shop]
type = "csv"
[[connectors.shop.files]]
path = "shop.csv"
entity = "invoice"
date_format = "iso"
[connectors.shop.files.columns]
number = "No"
customer_name = "Customer"
issue_date = "Date"
due_date = "Due"
currency = "Cur"
total = "Total"
balance = "Open"
status = "Status"

[connectors.bank]
type = "csv"
[[connectors.bank.files]]
path = "payments.csv"
entity = "payment"
date_format = "iso"
id_columns = ["Id"]
[connectors.bank.files.columns]
reference = "Id"
received_date = "Date"
amount = "Amount"
currency = "Cur"
payer_name = "Payer"
memo = "Memo"
invoice_number = "Applies to"
"""

HEAD = "No,Customer,Date,Due,Cur,Total,Open,Status\n"
BOOKS = HEAD + """\
INV-1001,Acme Corp,2026-03-01,2026-03-31,USD,1250.00,1250.00,open
INV-1002,Globex,2026-03-02,2026-04-01,USD,500.00,500.00,open
INV-1003,Initech,2026-03-03,2026-04-02,EUR,80.00,80.00,open
INV-1004,Umbrella,2026-03-04,2026-04-03,USD,300.00,0.00,paid
INV-1005,Hooli,2026-03-05,2026-04-04,USD,99.00,99.00,open
INV-1006,Stark Industries,2026-03-06,2026-04-05,USD,700.00,700.00,open
INV-1007,Stark Industries,2026-03-07,2026-04-06,USD,700.00,700.00,open
INV-1008,Wayne Enterprises,2026-03-08,2026-04-07,USD,200.00,200.00,open
INV-1009,Wayne Enterprises,2026-03-09,2026-04-08,USD,300.00,300.00,open
INV-1010,Wayne Enterprises,2026-03-10,2026-04-09,USD,450.00,450.00,open
INV-1011,Tyrell,2026-03-11,2026-04-10,JPY,5000,5000,open
INV-1012,Cyberdyne,2026-03-12,2026-04-11,KWD,10.125,10.125,open
"""
SHOP = HEAD + """\
1001,Acme Corp,2026-03-01,2026-03-31,USD,1250.00,0.00,paid
1002,Globex,2026-03-02,2026-04-01,USD,550.00,550.00,open
1003,Initech,2026-03-03,2026-04-02,USD,80.00,80.00,open
1004,Umbrella,2026-03-04,2026-04-03,USD,300.00,0.00,paid
1005,Hooli,2026-03-05,2026-04-20,USD,99.00,99.00,open
1099,Soylent,2026-03-06,2026-04-05,USD,42.00,42.00,open
"""
PAYMENTS = """\
Id,Date,Amount,Cur,Payer,Memo,Applies to
P1,2026-03-20,950.00,USD,Wayne Enterprises,,
P2,2026-03-21,5000,JPY,Tyrell Corp.,remittance for INV-1011,
P3,2026-03-22,98.00,USD,Hooli,,
P4,2026-03-23,800.00,USD,Stark Industries,,INV-1006
P5,2026-03-24,10.125,KWD,Cyberdine,,
P6,2026-03-25,77.00,USD,Nobody Ltd,,
P7,2026-03-26,77.00,USD,Nobody Ltd,,
"""


def _company(folder: Path) -> None:
    (folder / "books.csv").write_text(BOOKS, encoding="utf-8")
    (folder / "shop.csv").write_text(SHOP, encoding="utf-8")
    (folder / "payments.csv").write_text(PAYMENTS, encoding="utf-8")


def _run(engine: Engine, config: HubConfig) -> dict[str, lifecycle.StoredFinding]:
    reconcile(engine, config.reconcile)
    with engine.connect() as conn:
        return {f.key: f for f in lifecycle.select(conn, statuses=lifecycle.STATUSES)
                if f.status != "resolved" or f.actor != "billing-hub"}


def _kinds(found: dict[str, lifecycle.StoredFinding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in found.values():
        out.setdefault(f.kind, []).append(f.key)
    return {k: sorted(v) for k, v in out.items()}


def _sync_all(sync: Any) -> None:
    for name in ("books", "shop", "bank"):
        sync.sync(name)


def test_every_kind_is_found_and_explained(tmp_path: Path, store_url: str) -> None:
    _company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        _sync_all(sync)
        found = _run(engine, config)
    kinds = _kinds(found)
    by_kind = {k: [found[key] for key in keys] for k, keys in kinds.items()}
    assert kinds["status_mismatch"] == ["status_mismatch:books:INV-1001|shop:1001"]
    (status,) = by_kind["status_mismatch"]
    assert status.explanation == ("books says INV-1001 is open for $1,250.00; shop says it is "
                                  "paid in full.")
    assert status.money_at_stake_minor == 125000
    assert kinds["amount_mismatch"] == ["amount_mismatch:books:INV-1002|shop:1002"]
    assert "$500.00 in books but $550.00 in shop: $50.00 apart" in (
        by_kind["amount_mismatch"][0].explanation)
    assert kinds["currency_mismatch"] == ["currency_mismatch:books:INV-1003|shop:1003"]
    assert kinds["due_date_mismatch"] == ["due_date_mismatch:books:INV-1005|shop:1005"]
    assert "due on 4 April 2026 in books but on 20 April 2026 in shop" in (
        by_kind["due_date_mismatch"][0].explanation)
    assert "missing_in_other_system:shop:1099:books" in kinds["missing_in_other_system"]
    assert "missing_in_other_system:books:INV-1006:shop" in kinds["missing_in_other_system"]
    assert kinds["duplicate_invoice"] == [
        "duplicate_invoice:books:INV-1006|INV-1007"]
    assert kinds["paid_without_payment"] == ["paid_without_payment:books:INV-1004",
                                             "paid_without_payment:shop:1001",
                                             "paid_without_payment:shop:1004"]
    assert kinds["overpayment"] == ["overpayment:books:INV-1006"]
    assert by_kind["overpayment"][0].money_at_stake_minor == 10000
    assert kinds["duplicate_payment"] == ["duplicate_payment:bank:P6|P7"]
    assert set(kinds["unapplied_payment"]) == {
        "unapplied_payment:bank:P1", "unapplied_payment:bank:P2", "unapplied_payment:bank:P3",
        "unapplied_payment:bank:P5", "unapplied_payment:bank:P6", "unapplied_payment:bank:P7"}
    for f in found.values():
        assert f.explanation.endswith(".") and f.status == "open"


def test_payment_suggestions_are_ranked_with_reasons(tmp_path: Path, store_url: str) -> None:
    _company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        _sync_all(sync)
        found = _run(engine, config)

    def best(payment: str) -> dict[str, Any]:
        suggestions = found[f"unapplied_payment:bank:{payment}"].details["suggestions"]
        assert suggestions, payment
        top: dict[str, Any] = suggestions[0]
        return top

    wayne = best("P1")  # 950 = 200 + 300 + 450
    assert wayne["numbers"] == ["INV-1008", "INV-1009", "INV-1010"]
    assert wayne["rule"] == "subset_sum" and "together come to exactly $950.00" in wayne["reason"]
    tyrell = best("P2")
    assert tyrell["numbers"] == ["INV-1011"] and tyrell["rule"] == "memo_number"
    assert tyrell["confidence"] >= 0.95
    hooli = best("P3")  # 98.00 against a 99.00 balance: within 2 %
    assert hooli["rule"] == "tolerance" and "$1.00 short of" in hooli["reason"]
    cyberdyne = best("P5")  # payer name misspelt, three-decimal currency
    assert cyberdyne["numbers"] == ["INV-1012"] and "looks like the customer" in (
        cyberdyne["reason"])
    assert found["unapplied_payment:bank:P6"].details["suggestions"] == []
    assert "ask the payer" in found["unapplied_payment:bank:P6"].explanation


def test_rerun_changes_nothing_and_fixed_data_auto_resolves(tmp_path: Path,
                                                            store_url: str) -> None:
    _company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        _sync_all(sync)
        first = _run(engine, config)
        with engine.connect() as conn:
            before = [tuple(r) for r in conn.execute(sa.select(findings).order_by(findings.c.id))]
        summary = reconcile(engine, config.reconcile)
        assert (summary.merge.new, summary.merge.updated, summary.merge.auto_resolved) == (
            0, 0, 0)
        with engine.connect() as conn:
            after = [tuple(r) for r in conn.execute(sa.select(findings).order_by(findings.c.id))]
        assert after == before

        (tmp_path / "shop.csv").write_text(SHOP.replace("550.00,550.00", "500.00,500.00"),
                                           encoding="utf-8")
        sync.sync("shop")
        summary = reconcile(engine, config.reconcile)
        assert summary.merge.auto_resolved == 1
        with engine.connect() as conn:
            fixed = lifecycle.get(conn, first["amount_mismatch:books:INV-1002|shop:1002"].id)
            logged = conn.execute(sa.select(audit_log.c.action, audit_log.c.subject)).all()
        assert fixed.status == "resolved" and fixed.actor == "billing-hub"
        assert ("finding.auto_resolved", f"finding:{fixed.id}") in logged


def test_a_finding_that_says_something_new_is_updated_in_place(tmp_path: Path,
                                                              store_url: str) -> None:
    _company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        _sync_all(sync)
        key = "amount_mismatch:books:INV-1002|shop:1002"
        first = _run(engine, config)[key]
        with engine.begin() as conn:
            lifecycle.set_status(conn, first.id, "acknowledged", note=None, actor="ana",
                                 now=utcnow())
        (tmp_path / "shop.csv").write_text(SHOP.replace("550.00,550.00", "560.00,560.00"),
                                           encoding="utf-8")
        sync.sync("shop")
        summary = reconcile(engine, config.reconcile)
        with engine.connect() as conn:
            after = lifecycle.get(conn, first.id)
    assert (summary.merge.new, summary.merge.updated, summary.merge.auto_resolved) == (0, 1, 0)
    assert "$50.00 apart" in first.explanation and "$60.00 apart" in after.explanation
    assert after.money_at_stake_minor == 6000 and after.status == "acknowledged"
    assert after.first_seen_at == first.first_seen_at


def test_lifecycle_by_hand(tmp_path: Path, store_url: str) -> None:
    _company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        _sync_all(sync)
        found = _run(engine, config)
        dup = found["duplicate_payment:bank:P6|P7"]
        mismatch = found["due_date_mismatch:books:INV-1005|shop:1005"]
        with engine.begin() as conn:
            lifecycle.set_status(conn, dup.id, "ignored", note="two real orders",
                                 actor="ana", now=utcnow())
            lifecycle.set_status(conn, mismatch.id, "acknowledged", note=None, actor="ana",
                                 now=utcnow())
        again = _run(engine, config)
        assert again[dup.key].status == "ignored" and again[dup.key].note == "two real orders"
        assert again[mismatch.key].status == "acknowledged"
        with engine.begin() as conn:
            lifecycle.set_status(conn, mismatch.id, "resolved", note="fixed in shop",
                                 actor="ana", now=utcnow())
        reopened = _run(engine, config)[mismatch.key]
        assert reopened.status == "open"  # the data still disagrees


def test_links_made_and_refused_by_hand(tmp_path: Path, store_url: str) -> None:
    _company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        _sync_all(sync)
        with engine.begin() as conn:
            linking.set_manual(conn, "books:INV-1007", "shop:1099", linking.LINKED,
                               actor="ana", now=utcnow())
            linking.set_manual(conn, "books:INV-1002", "shop:1002", linking.REJECTED,
                               actor="ana", now=utcnow())
        kinds = _kinds(_run(engine, config))
    assert "missing_in_other_system:shop:1099:books" not in kinds["missing_in_other_system"]
    assert "amount_mismatch:books:INV-1007|shop:1099" in kinds["amount_mismatch"]
    assert "amount_mismatch:books:INV-1002|shop:1002" not in kinds["amount_mismatch"]
    assert "missing_in_other_system:books:INV-1002:shop" in kinds["missing_in_other_system"]


def test_plugins_add_match_rules_through_the_hook(tmp_path: Path, store_url: str) -> None:
    import types

    from hub.hookspecs import hookimpl
    from hub.plugins import load_plugins, match_rules
    from hub.reconcile.matching import Suggestion

    def by_payer_initials(payment: Any, open_invoices: Any) -> Any:
        for inv in open_invoices.open_by_number("1002"):
            if payment.payer == "Nobody Ltd":
                yield Suggestion([inv], [payment.unapplied], 0.99, "the initials say so",
                                 "initials")

    def hub_match_rules() -> Any:
        yield by_payer_initials

    def broken() -> Any:
        raise RuntimeError("rule plugin bug")

    registry = load_plugins(extra=[
        ("initials", types.SimpleNamespace(hub_match_rules=hookimpl(hub_match_rules))),
        ("broken", types.SimpleNamespace(hub_match_rules=hookimpl(broken)))])
    rules = match_rules(registry)
    assert rules == [by_payer_initials]
    _company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        _sync_all(sync)
        reconcile(engine, config.reconcile, rules)
        with engine.connect() as conn:
            found = {f.key: f for f in lifecycle.select(conn)}
    top = found["unapplied_payment:bank:P6"].details["suggestions"][0]
    assert top["rule"] == "initials" and top["numbers"] == ["INV-1002"]
