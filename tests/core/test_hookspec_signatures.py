"""The plugin API as third-party plugins see it, pinned (see hub/contract/hookspecs.py's policy).

A failure here means a change that can break an installed plugin. Adding a
hook, an argument, a field with a default or an optional method is allowed
and only needs the pinned lists below extended; removing or renaming
anything is not, within a major version.
"""

from __future__ import annotations

import dataclasses
import inspect

import pluggy
import pytest

import hub as api
from hub.contract import hookspecs, rules
from hub.contract.demo import DemoService
from hub.contract.outcomes import EntityCounts
from hub.plugins import load_plugins, new_manager, notify
from tests.support.paths import ROOT

HOOKS: dict[str, tuple[tuple[str, ...], dict[str, bool]]] = {
    "hub_connectors": ((), {"firstresult": False, "historic": False}),
    "hub_demo_services": ((), {"firstresult": False, "historic": False}),
    "hub_finding_rules": ((), {"firstresult": False, "historic": False}),
    "hub_match_rules": ((), {"firstresult": False, "historic": False}),
    "hub_records_pulled": (("source", "entity", "counts"), {"firstresult": False,
                                                            "historic": False}),
    "hub_sync_finished": (("summary",), {"firstresult": False, "historic": False}),
}
"""hook name -> (argument names in order, options), as of billing-hub 0.1 (hooks are
only ever added: hub_demo_services came after the first four, hub_finding_rules when the
built-in rules became a plugin)."""

FIELDS: dict[type, tuple[str, ...]] = {
    api.EntitySupport: ("entity", "pull", "push", "incremental", "webhook"),
    DemoService: ("instance", "connector_type", "description", "start", "stop"),
    api.ConnectorContext: ("instance", "config", "base_dir", "vault"),
    api.ConnectorSpec: ("name", "description", "config_model", "entities", "factory"),
    api.Page: ("records", "rejected", "cursor", "locations", "progress", "deleted"),
    api.PushChange: ("operation", "record", "idempotency_key", "target_id", "references"),
    api.PushResult: ("idempotency_key", "status", "external_id", "reason", "record"),
    api.WebhookDelivery: ("headers", "body", "received_at"),
    api.WebhookReceipt: ("delivery_id", "hints", "duplicate"),
    api.ChangeHint: ("entity", "external_id", "deleted"),
    rules.FindingRuleSpec: ("name", "kinds", "find", "description"),
    rules.MatchRuleSpec: ("name", "rule", "decisive_at", "description"),
    rules.Finding: ("key", "kind", "record_ids", "explanation", "currency", "money_at_stake",
                    "customer", "severity", "details"),
    rules.Suggestion: ("invoices", "amounts", "confidence", "reason", "rule"),
    rules.PayerInvoices: ("invoices", "close_name", "score"),
}
"""Registration and exchange objects -> their fields, in order (as of billing-hub 0.1;
PushChange.references and PushResult.record came with the outbox pusher, Page.deleted
with deletions learnt from webhooks and events; the rule contract's objects with the
hub_finding_rules hook)."""

METHODS: dict[str, tuple[str, ...]] = {
    "entities": ("self",),
    "pull": ("self", "entity", "cursor"),
    "parse_raw": ("self", "entity", "raw", "location"),
    "push": ("self", "changes"),
    "verify_webhook": ("self", "delivery", "replays"),
    "close": ("self",),
}
"""Connector methods the hub calls -> their parameters."""

ENUMS: dict[type, tuple[str, ...]] = {
    api.PushOperation: ("create", "update", "mark_paid"),
    api.PushStatus: ("created", "updated", "unchanged", "rejected"),
}


def _specs() -> dict[str, pluggy.HookCaller]:
    return {name: caller for name, caller in vars(new_manager().hook).items()
            if caller.spec is not None}


def test_the_hook_specs_are_exactly_the_pinned_ones() -> None:
    specs = _specs()
    removed = set(HOOKS) - set(specs)
    added = set(specs) - set(HOOKS)
    assert not removed, f"hooks removed or renamed (breaks plugins): {sorted(removed)}"
    assert not added, f"new hooks: pin them in HOOKS ({sorted(added)})"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_each_hook_keeps_its_arguments_and_options(name: str) -> None:
    spec = _specs()[name].spec
    assert spec is not None
    pinned_args, pinned_opts = HOOKS[name]
    assert spec.argnames[:len(pinned_args)] == pinned_args, (
        f"{name}: arguments {spec.argnames} no longer start with the pinned {pinned_args}; "
        "arguments may only be added at the end")
    assert spec.argnames == pinned_args, f"{name} gained arguments: pin them in HOOKS"
    for option, value in pinned_opts.items():
        assert spec.opts[option] is value, f"{name}: {option} changed (breaks plugins)"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_each_hook_is_documented_with_an_example(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs.HubSpec, name)) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert "@hookimpl" in doc and f"def {name}" in doc, f"{name}'s docstring has no example"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_the_connector_guide_covers_each_hook(name: str) -> None:
    guide = (ROOT / "docs" / "connectors.md").read_text("utf-8")
    assert f"`{name}" in guide, f"docs/connectors.md does not mention {name}"


def test_the_spec_module_states_the_compatibility_policy() -> None:
    doc = hookspecs.__doc__ or ""
    assert "Compatibility policy" in doc
    assert "never removed or renamed" in doc


@pytest.mark.parametrize("cls", list(FIELDS), ids=lambda c: c.__name__)
def test_exchange_objects_keep_their_fields(cls: type) -> None:
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    pinned = FIELDS[cls]
    assert names[:len(pinned)] == pinned, (
        f"{cls.__name__}: fields {names} no longer start with {pinned}: fields may only be "
        "added at the end")
    for new in fields[len(pinned):]:
        assert (new.default is not dataclasses.MISSING
                or new.default_factory is not dataclasses.MISSING), (
            f"{cls.__name__}.{new.name} was added without a default: old plugins that build "
            f"{cls.__name__} without it would break")


@pytest.mark.parametrize("method", sorted(METHODS))
def test_connector_methods_keep_their_parameters(method: str) -> None:
    params = tuple(inspect.signature(getattr(api.Connector, method)).parameters)
    assert params == METHODS[method], f"Connector.{method}{params} != pinned {METHODS[method]}"


@pytest.mark.parametrize("enum", list(ENUMS), ids=lambda e: e.__name__)
def test_enums_keep_their_values(enum: type) -> None:
    values = tuple(m.value for m in enum)  # type: ignore[attr-defined]
    assert values[:len(ENUMS[enum])] == ENUMS[enum]


def test_only_pull_and_entities_are_required_of_a_connector() -> None:
    assert api.Connector.__abstractmethods__ == frozenset({"entities", "pull"})


def test_an_implementation_may_take_fewer_arguments_than_the_spec() -> None:
    """What lets a hook gain an argument without breaking the plugins that don't ask for it."""
    seen: list[tuple[str, ...]] = []

    class OldPlugin:
        @hookspecs.hookimpl
        def hub_records_pulled(self, source: str) -> None:
            seen.append((source,))

    class NewPlugin:
        @hookspecs.hookimpl
        def hub_records_pulled(self, source: str, entity: str, counts: EntityCounts) -> None:
            seen.append((source, entity, str(counts.created)))

    registry = load_plugins([("old", OldPlugin()), ("new", NewPlugin())],
                            entry_points_group="billing_hub.none")
    assert not [p for p in registry.plugins if p.broken]
    notify(registry, "hub_records_pulled", source="bank", entity="invoice",
           counts=EntityCounts(created=2))
    assert sorted(seen) == [("bank",), ("bank", "invoice", "2")]


def test_an_implementation_asking_for_an_argument_the_spec_lacks_is_refused() -> None:
    class Future:
        @hookspecs.hookimpl
        def hub_sync_finished(self, summary: object, tomorrow: object) -> None:
            pass

    registry = load_plugins([("future", Future())], entry_points_group="billing_hub.none")
    (future,) = [p for p in registry.plugins if p.name == "future"]  # after the built-in ones
    assert future.broken
    assert "tomorrow" in (future.error or "")
