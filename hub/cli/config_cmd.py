"""``billing-hub config check``: the whole config file validated at once, offline.

Each command validates only the tables it reads (a missing ``[web]`` secret
does not stop ``sync``), so a mistake in a table shows when the command that
reads it runs. ``config check`` reads them all, and every connector's own
options, and lists every problem with its TOML path, without opening the
store or calling any system.
"""

from __future__ import annotations

import typer
from rich.text import Text

from hub.cli import exits
from hub.cli.console import err, out
from hub.cli.state import CliState
from hub.collect.settings import CollectionSettings
from hub.config import HubConfig, Section, load_config
from hub.errors import ConfigError, PluginError
from hub.invoicing.settings import InvoicingSettings
from hub.outbox.settings import PushSettings
from hub.plugins import PluginRegistry, load_plugins
from hub.reconcile.settings import ReconcileSettings
from hub.runtime import connector_options
from hub.schedule.settings import ScheduleSettings
from hub.secrets import redact
from hub.web.settings import WebSettings

app = typer.Typer(help="The config file: check every table and connector at once.",
                  no_args_is_help=True)

TABLES: tuple[type[Section], ...] = (ReconcileSettings, PushSettings, WebSettings,
                                     CollectionSettings, InvoicingSettings, ScheduleSettings)
"""Every table of the hub's own, in the order the file's comments present them."""


def problems(config: HubConfig, registry: PluginRegistry) -> list[tuple[str, str | None]]:
    """(what was checked, its problem or None) for every connector and table of ``config``."""
    found: list[tuple[str, str | None]] = []
    for name, section in config.connectors.items():
        what = f"[connectors.{name}] ({section.type}{'' if section.enabled else ', disabled'})"
        try:
            connector_options(config, name, registry.connector_spec(section.type))
        except (ConfigError, PluginError) as exc:
            found.append((what, str(exc)))
        else:
            found.append((what, None))
    for table in TABLES:
        if table in (CollectionSettings, InvoicingSettings) and not config.has_table(
                table.table):
            continue
        try:
            table.of(config)
        except ConfigError as exc:
            found.append((f"[{table.table}]", str(exc)))
        else:
            found.append((f"[{table.table}]", None))
    return found


@app.command()
def check(ctx: typer.Context) -> int:
    """Validate every table and every connector's options; list each problem with its path."""
    state: CliState = ctx.obj
    config = load_config(state.config_path)
    results = problems(config, load_plugins())
    for what, problem in results:
        if problem is None:
            out.print(Text.assemble((what, "bold"), " ", ("ok", "green")))
        else:
            err.print(Text.assemble((what, "bold"), " ", ("error: ", "red"), redact(problem)))
    bad = sum(1 for _, problem in results if problem is not None)
    where = config.config_file or state.config_path
    if bad:
        err.print(f"{bad} problem(s) in {where}: fix them and run `billing-hub config check` "
                  "again.")
        return exits.USAGE
    out.print(f"{where}: every table and connector is valid.")
    return exits.OK
