"""The public face: what a plugin may import is exactly what docs/connectors.md lists,
every name of it (the rule contract included) can be imported from `hub` (or
`hub.testing`) without loading the rest, and the plugins we ship import nothing else."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import hub
import hub.testing
from tests.support.paths import ROOT


def _documented() -> dict[str, set[str]]:
    guide = (ROOT / "docs" / "connectors.md").read_text("utf-8")
    start = guide.index("<!-- public-face:")
    table = guide[start:guide.index("\n\n", start)]
    names: dict[str, set[str]] = {"hub": set(), "hub.testing": set()}
    for row in table.splitlines()[3:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        names[cells[0].strip("`")] |= set(re.findall(r"`(\w+)`", cells[2]))
    return names


def test_the_guide_lists_exactly_the_public_face() -> None:
    documented = _documented()
    assert documented["hub"] == set(hub.__all__)
    assert documented["hub.testing"] == set(hub.testing.__all__)


def test_every_name_of_the_face_resolves() -> None:
    for name in hub.__all__:
        assert getattr(hub, name) is not None, name
    for name in hub.testing.__all__:
        assert getattr(hub.testing, name) is not None, name


def test_importing_the_face_loads_only_what_is_used() -> None:
    watched = ("hub.models", "pydantic", "pytest", "hub.testing.checks", "hub.store",
               "sqlalchemy")
    code = ("import sys; from hub import hookimpl, ConnectorSpec; "
            "from hub.testing import SimServer; "
            f"print(' '.join(m for m in {watched!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert loaded == ["pydantic"]  # ConnectorSpec validates configs with pydantic models


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
    assert loaded.strip() == "['hub.lazy']"  # the faces' loader, and nothing else


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
