"""Where things are in the repository, for tests in any folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root (pyproject.toml, README.md, docs/)."""
DATA = ROOT / "tests" / "data"
"""Files the tests read: real bank exports, Stripe's and Intuit's sample objects."""
