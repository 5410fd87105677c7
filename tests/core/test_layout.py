"""README's "How the code is laid out" names every folder of the core and of the built-in
plugins, and nothing that is not there."""

from __future__ import annotations

from tests.support.paths import ROOT


def _listed() -> set[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("## How the code is laid out")
    opened = readme.index("```\n", start) + 4
    block = readme[opened:readme.index("\n```", opened)]
    return {line.split()[0].rstrip("/") for line in block.splitlines()
            if line and not line.startswith(" ")}


def test_the_layout_names_every_part_of_the_core_and_the_plugins() -> None:
    listed = _listed()
    for path in listed:
        assert (ROOT / path).exists(), f"README lists {path}, which does not exist"
    parts = {f"hub/{p.name}" for p in (ROOT / "hub").iterdir()
             if (p.is_dir() and (p / "__init__.py").exists())
             or (p.suffix == ".py")}
    parts |= {f"plugins/{p.name}" for p in (ROOT / "plugins").iterdir()
              if p.is_dir() and (p / "__init__.py").exists()}
    assert parts - listed == set(), "README's layout leaves these out"
