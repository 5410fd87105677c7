"""``billing-hub demo``: import Northwind Supplies' exports and tell what was found."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import typer
from rich.text import Text

from hub import demo as demo_data
from hub.cli import exits
from hub.cli.console import out, styled
from hub.cli.session import CliState, open_hub
from hub.cli.sync_cmd import print_outcome, run_syncs
from hub.config import ConnectorSection
from hub.invoicing.settings import sending_policy
from hub.plugins import demo_services
from hub.reconcile import lifecycle
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.runner import reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.reports.overview import money_text, overview
from hub.runtime import Hub
from hub.store import quarantine


def tell_findings(hub: Hub, config_path: Path) -> None:
    settings = hub.settings(ReconcileSettings)
    summary = reconcile(hub.engine, settings, RuleSet.of(hub.registry), sending_policy(hub.config))
    with hub.engine.connect() as conn:
        seen = overview(conn, datetime.now().astimezone().date(), settings)
        waiting = quarantine.list_entries(conn, limit=20)
        open_findings = lifecycle.select(conn)
    out.print()
    out.print(styled("[bold]What billing-hub found[/]"))
    out.print(f"  open invoices:    {seen.open_invoices}, owed {money_text(seen.open_balance)}")
    out.print(f"  overdue today:    {seen.overdue_invoices}, "
              f"{money_text(seen.overdue_balance)}")
    out.print(f"  payments:         {seen.payments}, {money_text(seen.payments_total)}")
    out.print(f"  bank:             in {money_text(seen.bank_in)}, "
              f"out {money_text(seen.bank_out)}")
    if waiting:
        out.print(styled(f"  [yellow]quarantined:      {len(waiting)} row(s) need a person[/]"))
        for entry in waiting:
            out.print(f"    #{entry.id} {entry.location}: {entry.reason.splitlines()[0]}")
    if open_findings:
        out.print(styled(f"  [yellow]findings:         {len(open_findings)} need a person[/] "
                         f"({summary.merge.new} new this run)"))
        kinds = Counter(f.kind for f in open_findings)
        out.print("    by kind: " + ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()))
        open_findings.sort(key=lambda f: -(f.money_at_stake_minor or 0))
        for f in open_findings[:6]:
            out.print(f"    #{f.id} {f.kind}: {f.explanation}")
    cfg = f"--config {config_path}"
    out.print()
    out.print("Next:")
    out.print(f"  billing-hub {cfg} findings list")
    out.print(f"  billing-hub {cfg} report -f html -o report.html")
    out.print(f"  billing-hub {cfg} status")
    out.print(f"  billing-hub {cfg} quarantine show {waiting[0].id if waiting else 'ID'}")
    out.print(f"  billing-hub {cfg} export invoice -o invoices.csv")
    out.print(f"Fix a row in {config_path.parent / 'data'} and run the demo again: only what "
              "changed is imported, and the fixed row leaves the quarantine. After changing a "
              f"mapping instead, `billing-hub {cfg} quarantine retry --all` maps the "
              "quarantined rows again.")


def demo(
    folder: Path = typer.Option(demo_data.DEMO_DIR, "--dir",
                                help="Where the demo's files and SQLite store go."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars."),
) -> None:
    """Import a sample company's QuickBooks, Stripe and bank data into a local store."""
    config_path = demo_data.install(folder)
    out.print(f"Northwind Supplies' exports are in {folder}/data; the store is "
              f"{folder}/billing-hub.db.")
    with open_hub(CliState(config_path)) as hub, ExitStack() as running:
        for service in demo_services(hub.registry):
            if service.instance in hub.config.connectors:
                continue  # the user's config names that instance: theirs wins
            options = dict(service.start())
            running.callback(service.stop)
            hub.config.connectors[service.instance] = ConnectorSection(
                type=service.connector_type, **options)
            out.print(Text.assemble("Connector ", (service.instance, "bold"),
                                    f" reads {service.description}, running while the demo syncs."))
        outcome = run_syncs(hub, [], show_progress=not no_progress)
        running.close()
        print_outcome(outcome, hints=False)
        tell_findings(hub, config_path)
    raise typer.Exit(exits.FAILED if outcome.failures else exits.OK)
