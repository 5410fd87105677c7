"""One collector, one policy for every registration hook: the hub's own rules come through
the hooks as a built-in plugin; a plugin that raises, answers the wrong type or takes a
name already taken is broken, shown with its error, and takes no part."""

from __future__ import annotations

import logging
import types
from typing import Any

import pytest
from pydantic import BaseModel

from hub import (
    ConnectorSpec,
    DemoService,
    EntitySupport,
    FindingRuleSpec,
    MatchRuleSpec,
    Severity,
    Suggestion,
    hookimpl,
)
from hub.errors import PluginError
from hub.plugins import DEFAULT_PLUGINS, demo_services, load_plugins, notify
from hub.reconcile import default_rules
from hub.reconcile.kinds import DEFAULT_SEVERITY, Kind
from hub.reconcile.ruleset import RuleSet
from plugins.csv.connector import CsvConnector

NONE = "billing_hub.none"
"""An entry-point group with no plugins: the hub's own plugins only."""


def _find(context: Any) -> Any:
    return iter(())


def _match(payment: Any, open_invoices: Any) -> Any:
    return iter(())


def _plugin(**hooks: Any) -> types.SimpleNamespace:
    """A plugin whose hooks answer with these (a callable is the hook itself)."""
    def answer(value: Any) -> Any:
        return value if callable(value) and not isinstance(value, type) else lambda: value
    return types.SimpleNamespace(**{name: hookimpl(answer(value))
                                    for name, value in hooks.items()})


def _connector(name: str) -> ConnectorSpec:
    return ConnectorSpec(name=name, description=name, config_model=BaseModel,
                         entities=(EntitySupport("invoice"),), factory=CsvConnector)


def _errors(registry: Any) -> dict[str, str | None]:
    return {p.name: p.error for p in registry.plugins if p.broken}


def test_the_built_in_rules_are_a_plugin_registered_first() -> None:
    registry = load_plugins(entry_points_group=NONE)
    (own,) = registry.plugins
    assert (own.name, own.module, own.builtin) == ("reconciler", "hub.reconcile.default_rules",
                                                   True)
    assert DEFAULT_PLUGINS == {"reconciler": "hub.reconcile.default_rules"}
    assert registry.manager.is_registered(default_rules)
    rules = RuleSet.of(registry)
    assert [s.name for s in rules.finding] == [
        "invoice_pairs", "duplicate_invoices", "paid_without_payment", "overpayments",
        "unapplied_payments", "duplicate_payments", "payouts", "concurrent_edits",
        "invoices_out", "incomplete_syncs", "missed_instalments", "disputes"]
    assert [s.name for s in rules.match] == [
        "memo_reference", "payer_amount"]
    assert rules.kinds == {kind.value: severity for kind, severity in DEFAULT_SEVERITY.items()}
    # as the filters list them
    assert RuleSet.of(registry).kind_names() == [kind.value for kind in Kind]
    assert RuleSet.builtin() == rules
    everything = load_plugins()
    assert everything.plugins[0].builtin and RuleSet.of(everything).finding == rules.finding


def test_a_plugin_cannot_take_a_built_in_kind_or_a_taken_name() -> None:
    seen: list[str] = []

    def pulled(source: str) -> None:
        seen.append(source)

    registry = load_plugins([
        ("thief", _plugin(hub_connectors=[_connector("thiefconn")], hub_records_pulled=pulled,
                          hub_finding_rules=[FindingRuleSpec(
                              "mine", {"amount_mismatch": Severity.LOW}, _find)])),
        ("same", _plugin(hub_match_rules=[MatchRuleSpec("payer_amount", _match)])),
        ("twice", _plugin(hub_finding_rules=[FindingRuleSpec("a", {"k1": Severity.LOW}, _find),
                                             FindingRuleSpec("b", {"k1": Severity.LOW}, _find)])),
        ("first", _plugin(hub_finding_rules=[FindingRuleSpec("late", {"late": Severity.LOW},
                                                             _find)])),
        ("second", _plugin(hub_finding_rules=[FindingRuleSpec("late2", {"late": Severity.HIGH},
                                                              _find)])),
    ], entry_points_group=NONE)
    assert _errors(registry) == {
        "thief": "finding kind 'amount_mismatch' is already offered by plugin 'reconciler'",
        "same": "match rule 'payer_amount' is already offered by plugin 'reconciler'",
        "twice": "finding kind 'k1' is offered twice by this plugin",
        "second": "finding kind 'late' is already offered by plugin 'first'",
    }
    # a broken plugin takes no part: its connector, rules and observers are all left out
    assert "thiefconn" not in registry.connector_specs()
    assert not registry.manager.has_plugin("thief")
    assert RuleSet.of(registry).kinds["amount_mismatch"] == Severity.HIGH
    assert RuleSet.of(registry).kinds["late"] == Severity.LOW
    assert [s.name for s in RuleSet.of(registry).finding][-1] == "late"
    notify(registry, "hub_records_pulled", source="books")
    assert seen == []


@pytest.mark.parametrize(("hook", "answer", "error"), [
    ("hub_finding_rules", ["not a rule"], "hub_finding_rules yielded str, expected "
                                          "FindingRuleSpec"),
    ("hub_finding_rules", FindingRuleSpec("one", {"one": Severity.LOW}, _find),
     "hub_finding_rules returned one FindingRuleSpec: return a list of them or yield each one"),
    ("hub_finding_rules", [FindingRuleSpec("bad", {"Bad Kind": Severity.LOW}, _find)],
     "finding rule 'bad': kind 'Bad Kind' is not a valid name (lower-case letters, digits and "
     "'_', starting with a letter)"),
    ("hub_finding_rules", [FindingRuleSpec("loud", {"loud": "high"}, _find)],
     "finding rule 'loud': the severity of 'loud' is not a Severity"),
    ("hub_finding_rules", [FindingRuleSpec("nokinds", {}, _find)],
     "finding rule 'nokinds' registers no kind"),
    ("hub_finding_rules", [FindingRuleSpec("has space", {"ok": Severity.LOW}, _find)],
     "finding rule name 'has space' is not valid (no spaces, at most 100 characters)"),
    ("hub_match_rules", [42], "hub_match_rules yielded int, expected MatchRuleSpec"),
    ("hub_match_rules", [MatchRuleSpec("r", "not callable")],
     "match rule 'r': rule is not callable"),
    ("hub_connectors", [_connector("x"), "half"],
     "hub_connectors yielded str, expected ConnectorSpec"),
])
def test_every_registration_hook_refuses_the_wrong_answer_the_same_way(
        hook: str, answer: Any, error: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="hub.plugins"):
        registry = load_plugins([("odd", _plugin(**{hook: answer}))], entry_points_group=NONE)
    assert _errors(registry) == {"odd": error}
    assert f"plugin odd failed in {hook} and takes no part: {error}" in caplog.text
    assert RuleSet.of(registry) == RuleSet.builtin()


@pytest.mark.parametrize("hook", ["hub_connectors", "hub_finding_rules", "hub_match_rules"])
def test_a_registration_hook_that_raises_breaks_its_plugin(hook: str) -> None:
    def fails() -> Any:
        raise RuntimeError("catalogue unreachable")

    registry = load_plugins([("flaky", _plugin(**{hook: fails}))], entry_points_group=NONE)
    error = _errors(registry)["flaky"] or ""
    assert error.startswith(f"{hook} failed: RuntimeError: catalogue unreachable")


def test_match_rules_as_plain_callables_still_work_named_after_the_plugin() -> None:
    def by_initials(payment: Any, open_invoices: Any) -> Any:
        yield Suggestion([], [], 0.5, "initials", "initials")

    registry = load_plugins([("old", _plugin(hub_match_rules=[by_initials])),
                             ("new", _plugin(hub_match_rules=[MatchRuleSpec("po", _match)]))],
                            entry_points_group=NONE)
    assert not _errors(registry)
    tail = RuleSet.of(registry).match[-2:]
    assert [(s.name, s.rule) for s in tail] == [("old.by_initials", by_initials),
                                                ("po", _match)]


def test_demo_services_are_collected_when_asked_by_the_same_policy(
        caplog: pytest.LogCaptureFixture) -> None:
    def service(instance: str) -> DemoService:
        return DemoService(instance, "csv", "a fake", dict, lambda: None)

    registry = load_plugins([
        ("one", _plugin(hub_demo_services=[service("fake")])),
        ("two", _plugin(hub_demo_services=[service("fake")],
                        hub_connectors=[_connector("twoconn")])),
        ("odd", _plugin(hub_demo_services=["a fake"])),
    ], entry_points_group=NONE)
    assert not _errors(registry)  # nothing asked for them yet
    with caplog.at_level(logging.ERROR):
        offered = demo_services(registry)
    assert [s.instance for s in offered] == ["fake"]
    assert _errors(registry) == {
        "two": "demo instance 'fake' is already offered by plugin 'one'",
        "odd": "hub_demo_services yielded str, expected DemoService"}
    assert "twoconn" not in registry.connector_specs()  # broken: no part at all
    assert "plugin odd failed in hub_demo_services" in caplog.text


def test_without_its_own_rules_the_hub_refuses_to_reconcile(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DEFAULT_PLUGINS, "reconciler", "hub.reconcile.no_such_module")
    registry = load_plugins(entry_points_group=NONE)
    assert "No module named 'hub.reconcile.no_such_module'" in (_errors(registry)["reconciler"]
                                                               or "")
    with pytest.raises(PluginError, match="the hub's own plugin 'reconciler'"):
        RuleSet.of(registry)  # a run without them would resolve every finding they made
    assert RuleSet.of(registry, whole=False).kind_names() == []
