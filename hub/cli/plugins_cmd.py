"""``billing-hub plugins``: every installed plugin, what it offers, or why it is broken."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from hub.cli.console import out, styled
from hub.plugins import PluginInfo, load_plugins


def _label(info: PluginInfo) -> str:
    if info.builtin:
        return f"{info.name} (built-in)"
    return info.name if not info.distribution else f"{info.name} ({info.distribution})"


def _rules(plugins: list[PluginInfo]) -> Table:
    """The reconciler's rules, the built-in ones first, each with what it reports."""
    table = Table(title="reconciler rules", title_justify="left")
    for col in ("plugin", "rule", "reports"):
        table.add_column(col, overflow="fold")
    for info in plugins:
        for spec in info.finding_rules:
            kinds = ", ".join(f"{kind} ({severity})" for kind, severity in spec.kinds.items())
            table.add_row(info.name, f"{spec.name}: {spec.description}" if spec.description
                          else spec.name, f"findings: {kinds}")
        for match in info.match_rules:
            table.add_row(info.name, f"{match.name}: {match.description}" if match.description
                          else match.name, "suggestions for unapplied payments")
    return table


def plugins() -> None:
    """List installed plugins with their version and what they offer."""
    registry = load_plugins()
    table = Table(title="plugins", title_justify="left")
    for col in ("plugin", "version", "connector", "entities", "status"):
        table.add_column(col, overflow="fold")
    for info in registry.plugins:
        version = info.version or "-"
        label = _label(info)
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
    working = [p for p in registry.plugins if not p.broken]
    if any(p.finding_rules or p.match_rules for p in working):
        out.print(_rules(working))
    broken = [p for p in registry.plugins if p.broken]
    if broken:
        out.print(styled(f"[yellow]{len(broken)} plugin(s) failed to load;[/] the others work. "
                         "Reinstall or fix the broken one; a config that uses it will refuse "
                         "to run."))
