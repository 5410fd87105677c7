"""Every CLI test reads the commands' output on wide consoles."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _wide(wide_console: None) -> None:
    """The shared ``wide_console`` for every test of this folder."""
