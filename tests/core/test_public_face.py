"""The public face: what a plugin may import is exactly what docs/connectors.md lists, and
every name of it can be imported from `hub` (or `hub.testing`) without loading the rest."""

from __future__ import annotations

import re
import subprocess
import sys

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
