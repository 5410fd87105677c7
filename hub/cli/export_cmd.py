"""``billing-hub export``: canonical records to formula-safe CSV."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from hub.cli.console import err
from hub.cli.session import CliState, open_hub
from hub.reports.export import export_records, export_to_path


def export(
    ctx: typer.Context,
    entity: str = typer.Argument(..., help="customer, invoice, payment or bank_transaction"),
    output: Path | None = typer.Option(None, "--out", "-o",
                                       help="File to write (default: standard output)."),
    source: str | None = typer.Option(None, "--source", help="Only records of this connector."),
) -> None:
    """Write the store's records of one entity as CSV that is safe to open in a spreadsheet."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        if output is None:
            n = export_records(conn, entity, sys.stdout, source=source)
        else:
            n = export_to_path(conn, entity, output, source=source)
    err.print(f"{n} {entity} record(s) written" + (f" to {output}" if output else ""))
