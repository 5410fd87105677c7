"""The ``billing-hub`` command.

Every command reports a deliberate error (a :class:`~hub.errors.HubError`)
as one readable message with what to do next, never a traceback; exit codes
are listed in :mod:`hub.cli.exits`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import typer
import typer.main
from rich.text import Text
from typer.exceptions import TyperException

from hub.cli import exits
from hub.cli.console import err, out, setup_logging, styled
from hub.cli.lazy import LazyCommand
from hub.cli.state import CONFIG_ENV, CliState, default_config_path
from hub.errors import ConfigError, HubError, PluginError
from hub.secrets import redact

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module:attribute, the summary `billing-hub --help` shows)
    "init": ("hub.cli.init_cmd:init", "Write a commented billing-hub.toml to start from."),
    "check": ("hub.cli.check_cmd:check", "Check that each connector's credentials and "
              "endpoint work, writing nothing."),
    "sync": ("hub.cli.sync_cmd:sync", "Pull records from connectors into the store."),
    "status": ("hub.cli.status_cmd:status",
               "Show the store, its records, open quarantine and recent runs."),
    "plugins": ("hub.cli.plugins_cmd:plugins",
                "List installed plugins with their version and what they offer."),
    "export": ("hub.cli.export_cmd:export", "Write the store's records of one entity as CSV "
               "that is safe to open in a spreadsheet."),
    "demo": ("hub.cli.demo_cmd:demo", "Import a sample company's QuickBooks, Stripe and bank "
             "data into a local store."),
    "reconcile": ("hub.cli.reconcile_cmd:reconcile",
                  "Compare the systems in the store and update the findings."),
    "link": ("hub.cli.reconcile_cmd:link",
             "Say that two records are the same thing: customers, invoices or payments."),
    "unlink": ("hub.cli.reconcile_cmd:unlink",
               "Say that two records are not the same thing, whatever their numbers say."),
    "apply-payment": ("hub.cli.report_cmd:apply_payment", "Apply a payment or bank credit "
                      "to an invoice and queue it for the invoice's system."),
    "aliases": ("hub.cli.aliases_cmd:app", "Other names customers pay under: their "
                "records' own and those learned from confirmed payments or added by hand."),
    "report": ("hub.cli.report_cmd:report",
               "The mismatch report with the AR metrics, as a table, HTML, CSV or JSON."),
    "metrics": ("hub.cli.report_cmd:metrics", "DSO, aging, overdue share, days to pay, "
                "discrepancy rate and CEI, per currency."),
    "show": ("hub.cli.show_cmd:show", "One record traced to its source: fields, raw payload, "
             "location, links, history and the findings that name it."),
    "cash": ("hub.cli.cash_cmd:cash", "Show how each receipt is applied: matched, held, "
             "duplicate, not a customer's, unknown."),
    "payouts": ("hub.cli.payouts_cmd:payouts", "Payouts with their payments, fees and "
                "refunds, and the bank deposit each became."),
    "serve": ("hub.cli.serve_cmd:serve", "Serve webhooks (POST /webhooks/NAME) and the "
              "coordinator's page until Ctrl-C."),
    "collect": ("hub.cli.collect_cmd:collect", "Queue one reminder per overdue invoice and "
                "stage (\\[collections]), each only once,\nthen send what is queued over the "
                "mailer's SMTP server."),
    "run-schedule": ("hub.cli.schedule_cmd:run_schedule", "Run the \\[schedule] in this "
                     "process, one job at a time, until Ctrl-C (any store)."),
    "worker": ("hub.cli.worker_cmd:worker", "Run jobs from the queue and the \\[schedule] "
               "until SIGINT/SIGTERM (PostgreSQL store)."),
    "plugin": ("hub.cli.scaffold_cmd:app", "Write new plugins."),
    "quarantine": ("hub.cli.quarantine_cmd:app", "Records that could not be imported, with "
                   "their raw content and reason."),
    "findings": ("hub.cli.reconcile_cmd:findings_app",
                 "Review findings: list, show, acknowledge, resolve, ignore."),
    "webhooks": ("hub.cli.webhooks_cmd:app",
                 "Webhook deliveries received by `billing-hub serve`, and their syncs."),
    "push": ("hub.cli.push_cmd:app", "Mirror records into another system through the "
             "outbox: queue the changes, send them, see what waits."),
    "invoices": ("hub.cli.invoices_cmd:app", "Invoices out: send each invoice to its "
                 "customer once, see what went."),
    "reminders": ("hub.cli.replies_cmd:reminders_app",
                  "Payment reminders: what was sent, what waits for a person."),
    "customer": ("hub.cli.customer_cmd:app", "A customer's contact history (reminders, "
                 "replies, holds, disputes, promises, plans, notes)\nand whether they may be "
                 "contacted."),
    "plans": ("hub.cli.plans_cmd:app",
              "Payment plans: instalments a customer agreed to pay invoices in."),
    "promise": ("hub.cli.plans_cmd:promise_app",
                "Promises to pay by a date, recorded by a coordinator."),
    "credentials": ("hub.cli.credentials_cmd:app", "Credentials connectors keep between runs "
                    "(rotated OAuth tokens), sealed in the store: see them, or forget them to "
                    "start over."),
    "db": ("hub.cli.db_cmd:app", "The store's schema: upgrade it to this version of "
           "billing-hub."),
    "config": ("hub.cli.config_cmd:app",
               "The config file: check every table and connector at once."),
    "jobs": ("hub.cli.worker_cmd:jobs_app", "The job queue of the workers (PostgreSQL "
             "store): queue a job, see what waits, runs and failed."),
}
"""Every command, in the order ``--help`` lists them. Only the one that runs is imported;
tests/cli/test_cli.py checks that each summary is the command's own first help line."""

app = typer.Typer(
    name="billing-hub",
    help="Sync billing systems into one store and show what needs a person.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def installed_version() -> str:
    """The version of the installed billing-hub distribution (its package metadata)."""
    try:
        return version("billing-hub")
    except PackageNotFoundError:
        return "unknown (not installed as a package)"


def _print_version(value: bool) -> None:
    if value:
        out.print(f"billing-hub {installed_version()}")
        raise typer.Exit(exits.OK)


@app.callback()
def options(
    ctx: typer.Context,
    _version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version,
        help="Print the installed version and exit.",
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar=CONFIG_ENV, show_default="billing-hub.toml",
        help="The config file.",
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output."),
) -> None:
    setup_logging(verbose)
    ctx.obj = CliState(config_path=config or default_config_path())


def command_line() -> Any:
    """The ``billing-hub`` command: the options above and every command of the table."""
    group = typer.main.get_command(app)
    for name, (target, summary) in COMMANDS.items():
        group.add_command(LazyCommand(name, target, summary), name)  # type: ignore[attr-defined]
    return group


def _report(exc: HubError) -> int:
    label = "config error" if isinstance(exc, ConfigError) else "error"
    err.print(Text.assemble((f"{label}: ", "bold red"), redact(str(exc))), highlight=False)
    return exits.USAGE if isinstance(exc, ConfigError | PluginError) else exits.FAILED


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (for tests and ``main``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command_line().main(args=args, prog_name="billing-hub", standalone_mode=False)
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
    except SystemExit as exc:  # --show-completion, --install-completion, completing a word
        return exc.code if isinstance(exc.code, int) else exits.OK if exc.code is None else (
            exits.FAILED)
    except (typer.Abort, KeyboardInterrupt):
        err.print(styled("[yellow]stopped.[/] Synced pages are kept; the next run resumes "
                         "from there."))
        return exits.INTERRUPTED
    return result if isinstance(result, int) else exits.OK


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
