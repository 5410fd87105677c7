"""The terminal: one console for results, one for errors, and small formatters."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime

from rich.console import Console, ConsoleOptions, RenderableType
from rich.logging import RichHandler
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from hub.contract.outcomes import RunSummary
from hub.secrets import RedactingFilter

CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal acts on rather than shows: C0 controls but the line feed and the
tab (ESC starts ``ESC[2J``, which clears the screen), DEL, C1 controls (0x9b is an 8-bit
CSI) and the bidirectional overrides that make text read in another order."""


def without_controls(text: str) -> str:
    """``text`` without :data:`CONTROLS`."""
    return CONTROLS.sub("", text)


class DataConsole(Console):
    """A rich console that never writes a control character it was given as text.

    Styles, colours and cursor moves are rich's own control segments and are
    kept; the text of every other segment, which is where data ends up (a
    customer's name in a table, a reason in a log line), loses its
    :data:`CONTROLS` before it reaches the terminal. They are zero width for
    rich's layout, so tables keep their alignment.
    """

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None
               ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and CONTROLS.search(segment.text):
                yield Segment(without_controls(segment.text), segment.style)
            else:
                yield segment


# Markup and emoji codes off: what is printed is mostly data (names, reasons, raw rows)
# that may hold "[...]" or ":smile:"; styles are asked for explicitly, with styled() or Text.
out = DataConsole(highlight=False, markup=False, emoji=False)
err = DataConsole(stderr=True, highlight=False, markup=False, emoji=False)


def styled(markup: str) -> Text:
    """Rich markup written in the code, never data (``"[yellow]stopped.[/] ..."``)."""
    return Text.from_markup(markup)


def setup_logging(verbose: int) -> None:
    """Warnings by default, INFO with -v, DEBUG with -vv; secrets always redacted."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = RichHandler(console=err, show_path=False, show_time=verbose > 1)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_billing_hub", False):
            root.removeHandler(old)
    handler._billing_hub = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def when(moment: datetime | None) -> str:
    """A timestamp in the reader's local time, to the second."""
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def duration(run: RunSummary) -> str:
    if run.finished_at is None:
        return "running"
    seconds = (run.finished_at - run.started_at).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def counts_table(runs: list[RunSummary]) -> Table:
    """One row per connector and entity: created, updated, unchanged, quarantined (and
    deleted, dismissed and skipped, when a run had any)."""
    every = [c for run in runs for c in run.counts.values()]
    extra = [name for name, on in (("deleted", any(c.deleted for c in every)),
                                   ("dismissed", any(c.dismissed for c in every)),
                                   ("skipped", any(c.skipped for c in every))) if on]
    table = Table(title_justify="left")
    table.add_column("connector")
    table.add_column("entity")
    for name in ["new", "updated", "unchanged", "quarantined", *extra]:
        table.add_column(name, justify="right")
    table.add_column("run", justify="right")
    for run in runs:
        for entity, c in run.counts.items():
            q = Text(str(c.quarantined), style="yellow") if c.quarantined else "0"
            more = {"deleted": c.deleted, "dismissed": c.dismissed,
                    "skipped": sum(c.skipped.values())}
            table.add_row(run.connector, entity, str(c.created), str(c.updated),
                          str(c.unchanged), q, *(str(more[name]) for name in extra),
                          str(run.run_id))
    return table


def skipped_lines(runs: list[RunSummary]) -> list[str]:
    """One line per reason rows were skipped: ``bank/bank_transaction: 2 rows skipped by
    rule (...)``."""
    lines = []
    for run in runs:
        for entity, c in run.counts.items():
            for reason, n in c.skipped.items():
                text = f"row {reason.removeprefix('rows ')}" if n == 1 and reason.startswith(
                    "rows ") else reason
                lines.append(f"{run.connector}/{entity}: {n} {text}")
            lines.extend(f"{run.connector}/{entity}: {note}" for note in c.notes)
    return lines
