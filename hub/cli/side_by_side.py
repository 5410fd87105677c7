"""Rendering a finding's records side by side in the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from hub.reconcile.compare import compare
from hub.store import Connection


def side_by_side(conn: Connection, record_ids: Sequence[int]) -> Table:
    """A table with one column per record; fields that differ are marked with ``≠``."""
    found = compare(conn, record_ids)
    table = Table(title_justify="left")
    table.add_column("")
    table.add_column("field")
    for label in found.labels:
        table.add_column(label, overflow="fold")
    for name, values, differ in found.rows:
        style = "bold yellow" if differ else ""
        table.add_row("≠" if differ else "", name, *(Text(v, style=style) for v in values))
    return table
