"""hub/__init__.py is the plugins' public face: every name in it resolves, lazily, the
rule contract is part of it, and the plugins we ship import nothing else of the hub."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hub
from tests.support.paths import ROOT

RULE_CONTRACT = ("Application", "CustomerIndex", "CustomerRow", "Finding", "FindingRule",
                 "FindingRuleSpec", "InvoiceRow", "InvoiceRows", "MatchRule", "MatchRuleSpec",
                 "OpenInvoices", "PayerInvoices", "PaymentRow", "PaymentRows", "RuleContext",
                 "Severity", "Suggestion")
ALLOWED = ("hub", "hub.testing")


def test_every_public_name_resolves_and_the_rule_contract_is_public() -> None:
    assert set(RULE_CONTRACT) <= set(hub.__all__)
    for name in hub.__all__:
        assert getattr(hub, name) is not None, name
    from hub.contract import rules

    assert hub.FindingRuleSpec is rules.FindingRuleSpec and hub.Severity is rules.Severity


def test_importing_hub_loads_no_contract_module() -> None:
    code = ("import sys, hub; "
            "print(sorted(m for m in sys.modules if m.startswith('hub.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT).stdout
    assert loaded.strip() == "[]"


def _hub_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [m for m in found if m == "hub" or m.startswith("hub.")]


def test_plugins_import_only_the_public_face() -> None:
    wrong = {str(path.relative_to(ROOT)): bad for path in sorted((ROOT / "plugins").rglob("*.py"))
             if (bad := [m for m in _hub_imports(path) if m not in ALLOWED
                         and not m.startswith("hub.testing.")])}
    assert not wrong, f"plugins import from hub and hub.testing only: {wrong}"
