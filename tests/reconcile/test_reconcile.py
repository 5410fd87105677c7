"""The reconciler on a small company kept in two systems: each kind of finding,
stable keys, the lifecycle, links made by hand, and payment suggestions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.config import HubConfig
from hub.reconcile import lifecycle, linking
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.store.clock import utcnow
from hub.store.schema import audit_log, findings
from tests.support.company import BODY, SHOP, sync_all, write_company
from tests.support.hub import hub


def _run(engine: Engine, config: HubConfig) -> dict[str, lifecycle.StoredFinding]:
    reconcile(engine, ReconcileSettings.of(config))
    with engine.connect() as conn:
        return {f.key: f for f in lifecycle.select(conn, statuses=lifecycle.STATUSES)
                if f.status != "resolved" or f.actor != "billing-hub"}


def _kinds(found: dict[str, lifecycle.StoredFinding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in found.values():
        out.setdefault(f.kind, []).append(f.key)
    return {k: sorted(v) for k, v in out.items()}


def test_every_kind_is_found_and_explained(tmp_path: Path, store_url: str) -> None:
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync_all(sync)
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
    # P7 is P6 booked again: one finding for it (the duplicate), not a second unapplied one
    assert set(kinds["unapplied_payment"]) == {
        "unapplied_payment:bank:P1", "unapplied_payment:bank:P2", "unapplied_payment:bank:P3",
        "unapplied_payment:bank:P5", "unapplied_payment:bank:P6"}
    for f in found.values():
        assert f.explanation.endswith(".") and f.status == "open"


def test_payment_suggestions_are_ranked_with_reasons(tmp_path: Path, store_url: str) -> None:
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync_all(sync)
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
    assert tyrell["numbers"] == ["INV-1011"] and tyrell["rule"] == "memo_reference"
    assert tyrell["confidence"] >= 0.95 and tyrell["kind"] == "full"
    hooli = best("P3")  # 98.00 against a 99.00 balance: within 2 %
    assert hooli["rule"] == "tolerance" and hooli["kind"] == "short_fee"
    assert "less $1.00" in hooli["reason"]
    cyberdyne = best("P5")  # payer name misspelt, three-decimal currency
    assert cyberdyne["numbers"] == ["INV-1012"] and "looks like the customer" in (
        cyberdyne["reason"])
    assert found["unapplied_payment:bank:P6"].details["suggestions"] == []
    assert "ask the payer" in found["unapplied_payment:bank:P6"].explanation


def test_rerun_changes_nothing_and_fixed_data_auto_resolves(tmp_path: Path,
                                                            store_url: str) -> None:
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync_all(sync)
        first = _run(engine, config)
        with engine.connect() as conn:
            before = [tuple(r) for r in conn.execute(sa.select(findings).order_by(findings.c.id))]
        summary = reconcile(engine, ReconcileSettings.of(config))
        assert (summary.merge.new, summary.merge.updated, summary.merge.auto_resolved) == (
            0, 0, 0)
        with engine.connect() as conn:
            after = [tuple(r) for r in conn.execute(sa.select(findings).order_by(findings.c.id))]
        assert after == before

        (tmp_path / "shop.csv").write_text(SHOP.replace("550.00,550.00", "500.00,500.00"),
                                           encoding="utf-8")
        sync.sync("shop")
        summary = reconcile(engine, ReconcileSettings.of(config))
        assert summary.merge.auto_resolved == 1
        with engine.connect() as conn:
            fixed = lifecycle.get(conn, first["amount_mismatch:books:INV-1002|shop:1002"].id)
            logged = conn.execute(sa.select(audit_log.c.action, audit_log.c.subject)).all()
        assert fixed.status == "resolved" and fixed.actor == "billing-hub"
        assert ("finding.auto_resolved", f"finding:{fixed.id}") in logged


def test_a_finding_that_says_something_new_is_updated_in_place(tmp_path: Path,
                                                              store_url: str) -> None:
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync_all(sync)
        key = "amount_mismatch:books:INV-1002|shop:1002"
        first = _run(engine, config)[key]
        with engine.begin() as conn:
            lifecycle.set_status(conn, first.id, "acknowledged", note=None, actor="ana",
                                 now=utcnow())
        (tmp_path / "shop.csv").write_text(SHOP.replace("550.00,550.00", "560.00,560.00"),
                                           encoding="utf-8")
        sync.sync("shop")
        summary = reconcile(engine, ReconcileSettings.of(config))
        with engine.connect() as conn:
            after = lifecycle.get(conn, first.id)
    assert (summary.merge.new, summary.merge.updated, summary.merge.auto_resolved) == (0, 1, 0)
    assert "$50.00 apart" in first.explanation and "$60.00 apart" in after.explanation
    assert after.money_at_stake_minor == 6000 and after.status == "acknowledged"
    assert after.first_seen_at == first.first_seen_at


def test_lifecycle_by_hand(tmp_path: Path, store_url: str) -> None:
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync_all(sync)
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
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync_all(sync)
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

    from hub import Suggestion, hookimpl
    from hub.plugins import load_plugins

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
    rules = RuleSet.of(registry)
    own = RuleSet.builtin().match
    assert rules.match[:len(own)] == own  # the built-in match rules, then the plugins'
    assert [spec.rule for spec in rules.match[len(own):]] == [by_payer_initials]
    assert rules.match[-1].name == "initials.by_payer_initials"  # a bare callable, named
    (broken,) = [p for p in registry.plugins if p.name == "broken"]
    assert broken.broken and "rule plugin bug" in (broken.error or "")
    write_company(tmp_path)
    with hub(tmp_path, store_url, BODY) as (sync, engine, config):
        sync_all(sync)
        reconcile(engine, ReconcileSettings.of(config), rules)
        with engine.connect() as conn:
            found = {f.key: f for f in lifecycle.select(conn)}
    top = found["unapplied_payment:bank:P6"].details["suggestions"][0]
    assert top["rule"] == "initials" and top["numbers"] == ["INV-1002"]
