"""Tables that never lose a column: a table where it fits, one block per row where not.

Rich shrinks a table that is wider than the terminal by truncating ("9,00…") or
folding its cells, one word per line. Piped output and 80-column terminals are
where that happens, and where losing a column or a digit is worst. So a table
is printed as it is only when every column fits at its full width (a column
named in ``wrap`` may wrap, down to :data:`WRAP_MIN` characters); otherwise
each row becomes a block: its key cells on the first line, then one
``header: value`` line per other non-empty cell, indented.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.console import Console
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

WRAP_MIN = 30
"""The narrowest a wrapping column (a finding's explanation) may become in table form."""


def _plain(cell: object) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return str(cell)


def table_width(console: Console, table: Table, wrap: Collection[str] = ()) -> int:
    """The width ``table`` needs for no cell to be cut or folded (``wrap`` columns at
    :data:`WRAP_MIN`)."""
    options = console.options.update(width=10_000)
    needed = Measurement.get(console, options, table).maximum
    for column in table.columns:
        if _plain(column.header) in wrap:
            widest = max((Measurement.get(console, options, c).maximum
                          for c in column.cells), default=0)
            needed -= max(0, widest - WRAP_MIN)
    return needed


def stacked(console: Console, table: Table, key: int = 1) -> None:
    """Print ``table`` as one block per row: the first ``key`` cells as a heading, the
    others as ``header: value`` lines (empty cells left out)."""
    if table.title:
        console.print(Text(_plain(table.title), style="bold"))
    columns = table.columns
    for row in range(table.row_count):
        cells = [list(c.cells)[row] for c in columns]
        heading = "  ".join(p for p in (_plain(c).strip() for c in cells[:key]) if p)
        console.print(Text(heading or "-", style="bold"))
        for column, cell in zip(columns[key:], cells[key:], strict=True):
            value = _plain(cell).strip()
            if value:
                label = _plain(column.header).replace("\n", " ").strip() or "-"
                console.print(Padding(Text(f"{label}: {value}"), (0, 0, 0, 2), expand=False))


def print_fitted(console: Console, table: Table, *, key: int = 1,
                 wrap: Collection[str] = ()) -> None:
    """``table`` as a table when it fits ``console``'s width, else :func:`stacked`."""
    if table_width(console, table, wrap) <= console.width:
        console.print(table)
    else:
        stacked(console, table, key=key)
