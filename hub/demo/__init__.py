"""The demo company, Northwind Supplies: its exports and the config that reads them.

``billing-hub demo`` copies them into a folder of the user's (never over a
file the user has since edited), syncs every connector into a SQLite store
there and tells what it found.
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

DEMO_DIR = Path("billing-hub-demo")
CONFIG_NAME = "billing-hub.toml"


def install(target: Path) -> Path:
    """Copy the demo config and data into ``target`` (missing files only); the config path."""
    target.mkdir(parents=True, exist_ok=True)
    with as_file(files("hub.demo")) as source:
        for path in [source / CONFIG_NAME, *sorted((source / "data").glob("*.csv"))]:
            dest = target / path.relative_to(source)
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
    return target / CONFIG_NAME
