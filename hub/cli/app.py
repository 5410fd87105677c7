"""The ``billing-hub`` command.

Every command reports a deliberate error (a :class:`~hub.errors.HubError`)
as one readable message with what to do next, never a traceback; exit codes
are listed in :mod:`hub.cli.exits`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.text import Text
from typer.exceptions import TyperException

from hub.cli import exits
from hub.cli.collect_cmd import collect, reminders_app
from hub.cli.console import err, setup_logging, styled
from hub.cli.credentials_cmd import app as credentials_app
from hub.cli.demo_cmd import demo
from hub.cli.export_cmd import export
from hub.cli.init_cmd import init
from hub.cli.payouts_cmd import payouts
from hub.cli.plugins_cmd import plugins
from hub.cli.push_cmd import app as push_app
from hub.cli.quarantine_cmd import app as quarantine_app
from hub.cli.reconcile_cmd import findings_app, link, reconcile, unlink
from hub.cli.report_cmd import apply_payment, metrics, report
from hub.cli.scaffold_cmd import app as plugin_app
from hub.cli.schedule_cmd import register as register_schedule
from hub.cli.serve_cmd import serve
from hub.cli.session import CONFIG_ENV, CliState, default_config_path
from hub.cli.status_cmd import status
from hub.cli.sync_cmd import sync
from hub.cli.webhooks_cmd import app as webhooks_app
from hub.errors import ConfigError, HubError, PluginError
from hub.secrets import redact

app = typer.Typer(
    name="billing-hub",
    help="Sync billing systems into one store and show what needs a person.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def options(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar=CONFIG_ENV, show_default="billing-hub.toml",
        help="The config file.",
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output."),
) -> None:
    setup_logging(verbose)
    ctx.obj = CliState(config_path=config or default_config_path())


app.command()(init)
app.command()(sync)
app.command()(status)
app.command()(plugins)
app.add_typer(plugin_app, name="plugin")
app.command()(export)
app.command()(demo)
app.add_typer(quarantine_app, name="quarantine")
app.command()(reconcile)
app.add_typer(findings_app, name="findings")
app.command()(link)
app.command()(unlink)
app.command("apply-payment")(apply_payment)
app.command()(report)
app.command()(metrics)
app.command()(payouts)
app.command()(serve)
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(push_app, name="push")
app.command()(collect)
app.add_typer(reminders_app, name="reminders")
app.add_typer(credentials_app, name="credentials")
register_schedule(app)  # run-schedule, worker, jobs


def _report(exc: HubError) -> int:
    label = "config error" if isinstance(exc, ConfigError) else "error"
    err.print(Text.assemble((f"{label}: ", "bold red"), redact(str(exc))), highlight=False)
    return exits.USAGE if isinstance(exc, ConfigError | PluginError) else exits.FAILED


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (for tests and ``main``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="billing-hub", standalone_mode=False)
    except HubError as exc:
        return _report(exc)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(exc.format_message())
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print(styled("[yellow]stopped.[/] Synced pages are kept; the next run resumes "
                         "from there."))
        return exits.INTERRUPTED
    return result if isinstance(result, int) else exits.OK


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
