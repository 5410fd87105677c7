"""The store owns all SQL (DESIGN.md, "Layers"): checked on the source, module by module.

- No module outside ``hub/store`` imports SQLAlchemy (its statements, its
  table objects, its dialects) or ``hub.store.schema``, nor runs a statement
  (``.execute``): it calls a store function with a connection. The types a
  caller passes around (``Engine``, ``Connection``, ``URL``) and the
  database errors that may pass come from ``hub.store``.
- The store imports nothing above it: only the canonical models, the
  connector contract, the errors and the secrets' redaction from the rest of
  the hub.

An import-linter contract will say the same in CI; these tests say it now,
with the offending line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "hub" / "store"

BELOW_THE_STORE = ("hub.store", "hub.models", "hub.money", "hub.contract", "hub.errors",
                   "hub.secrets")
"""What the store may import from the rest of the hub."""

RUNS_A_STATEMENT = ("execute", "executemany", "exec_driver_sql")


def _modules(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def _outside_the_store() -> list[Path]:
    return [p for p in _modules(ROOT / "hub", ROOT / "plugins") if STORE not in p.parents]


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of every import, ``from hub.store import schema`` as ``hub.store.schema``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _is(module: str, name: str) -> bool:
    return module == name or module.startswith(name + ".")


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_scan_sees_the_modules_it_checks() -> None:
    outside = {p.relative_to(ROOT).as_posix() for p in _outside_the_store()}
    assert {"hub/reconcile/lifecycle.py", "hub/outbox/sender.py", "hub/cli/collect_cmd.py",
            "hub/workers/listing.py", "hub/sync/engine.py"} <= outside
    assert not any(p.startswith("hub/store/") for p in outside)
    assert (STORE / "schema.py") in _modules(STORE)


@pytest.mark.parametrize("path", _outside_the_store(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_outside_the_store(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [f"{_where(path, line)} imports {module}" for line, module in _imports(tree)
             if _is(module, "sqlalchemy") or _is(module, "hub.store.schema")]
    found += [f"{_where(path, node.lineno)} runs a statement (.{node.func.attr})"
              for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in RUNS_A_STATEMENT]
    assert not found, ("the store owns all SQL: move the statement into a hub/store module "
                       "and call it (Engine, Connection and URL come from hub.store):\n"
                       + "\n".join(found))


@pytest.mark.parametrize("path", _modules(STORE), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_store_imports_nothing_above_it(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    above = sorted({f"{_where(path, line)} imports {module}" for line, module in _imports(tree)
                    if _is(module, "hub") and module != "hub"
                    and not any(_is(module, below) for below in BELOW_THE_STORE)})
    assert not above, ("the store imports nothing above it; a domain type it needs goes "
                       "below (hub.models, hub.contract), or the store returns plain rows:\n"
                       + "\n".join(above))
