"""``billing-hub show SOURCE:ENTITY:ID``: one record traced to its source."""

from __future__ import annotations

import sys
from enum import StrEnum

import orjson
import typer
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from hub.cli.console import out, when
from hub.cli.session import CliState, open_hub
from hub.reconcile.naming import NAME_HELP
from hub.reports.trace import RecordTrace, as_json, trace


class Format(StrEnum):
    text = "text"
    json = "json"


def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="RECORD", help=f"The record: {NAME_HELP}"),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """One record traced to its source: fields, raw payload, location, links, history and
    the findings that name it.

    Canonical fields as the hub keeps them, the payload its source gave, where it was read
    (file and line, mailbox and UID, API address and a link to the service's own
    dashboard: what its connector kept), the links a person made, every state it had
    with when the hub learned it, and the findings that name it.
    """
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        found = trace(conn, name)
    if fmt is Format.json:
        sys.stdout.write(as_json(found).decode() + "\n")
        return
    _print(found)


def _print(t: RecordTrace) -> None:
    deleted = f", deleted by its source {when(t.deleted_at)}" if t.deleted_at else ""
    out.print(Text.assemble((t.name, "bold"), f"  (store id {t.id}{deleted})"))
    out.print(Text(f"location: {t.location or 'not kept by its connector'}"))
    for address in t.open_at:
        out.print(Text(f"open at:  {address}"))
    out.print(Text(f"first seen {when(t.first_seen_at)}, last written {when(t.updated_at)}, "
                   f"source's own time {when(t.source_modified)}"))
    fields = Table(title="canonical fields", title_justify="left", show_header=False)
    fields.add_column("field", style="bold")
    fields.add_column("value", overflow="fold")
    for key, value in t.fields.items():
        if value in (None, "", [], {}):
            continue
        shown = value if isinstance(value, str) else orjson.dumps(value).decode()
        fields.add_row(key, Text(shown))
    out.print(fields)
    out.print(Text("raw payload:", style="bold"))
    out.print(JSON(orjson.dumps(t.raw, default=str).decode()))
    if t.links:
        table = Table(title="links", title_justify="left")
        for col in ("record", "method", "state", "made"):
            table.add_column(col)
        for link in t.links:
            table.add_row(Text(link.name), link.method + (f" ({link.rule})" if link.rule else ""),
                          link.state, f"{when(link.created_at)} {link.created_by or ''}")
        out.print(table)
    else:
        out.print("links: none stored (the reconciler's own links are computed each run)")
    table = Table(title="history", title_justify="left")
    for col in ("learned", "source's time", "change", "run", "status", "open", "fields changed"):
        table.add_column(col)
    for s in t.history:
        table.add_row(when(s.learned_at), when(s.source_time), s.change,
                      "-" if s.run_id is None else str(s.run_id), s.status or "-",
                      s.open_amount or "-", Text(", ".join(s.changed_fields) or "-"))
    out.print(table)
    if not t.findings:
        out.print("findings: none name this record")
    for f in t.findings:
        out.print(Text(f"finding #{f.id} {f.kind} ({f.status}): {f.explanation}"))
