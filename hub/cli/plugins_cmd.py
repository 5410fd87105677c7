"""``billing-hub plugins``: every installed plugin, what it offers, or why it is broken."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from hub.cli.console import out, styled
from hub.plugins import load_plugins


def plugins() -> None:
    """List installed plugins with their version and what they offer."""
    registry = load_plugins()
    table = Table(title="plugins", title_justify="left")
    for col in ("plugin", "version", "connector", "entities", "status"):
        table.add_column(col, overflow="fold")
    for info in registry.plugins:
        version = info.version or "-"
        label = info.name if not info.distribution else f"{info.name} ({info.distribution})"
        if info.broken:
            table.add_row(label, version, "-", "-", Text(f"broken: {info.error}", style="red"))
            continue
        if not info.connectors:
            table.add_row(label, version, "-", "-", "ok")
        for i, spec in enumerate(info.connectors):
            entities = "\n".join(e.describe() for e in spec.entities)
            table.add_row(label if i == 0 else "", version if i == 0 else "",
                          f"{spec.name}: {spec.description}", entities,
                          Text("ok", style="green"))
    out.print(table)
    broken = [p for p in registry.plugins if p.broken]
    if broken:
        out.print(styled(f"[yellow]{len(broken)} plugin(s) failed to load;[/] the others work. "
                         "Reinstall or fix the broken one; a config that uses it will refuse "
                         "to run."))
