"""``billing-hub sync``: pull every enabled connector (or the ones named) into the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType

import typer
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from hub.cli import exits
from hub.cli.console import counts_table, err, out, skipped_lines, styled
from hub.cli.session import CliState, open_hub
from hub.contract.outcomes import RunSummary
from hub.errors import ConfigError, HubError, PluginError
from hub.runtime import Hub
from hub.secrets import redact
from hub.sync.engine import Progress as SyncProgress
from hub.sync.engine import SyncEngine


class PercentColumn(ProgressColumn):
    """The share done, or nothing while the source has not said how much there is."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("    ")
        return Text(f"{task.percentage:>3.0f}%")


class ProgressDisplay:
    """One progress bar per connector and entity, fed by the engine after each page."""

    def __init__(self, enabled: bool = True) -> None:
        self.bars = Progress(
            TextColumn("[bold]{task.fields[label]}"),
            BarColumn(),
            PercentColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> ProgressDisplay:
        self.bars.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.bars.stop()

    def __call__(self, event: SyncProgress) -> None:
        key = (event.connector, event.entity)
        c = event.counts
        text = f"{c.seen} records ({c.created} new, {c.updated} updated"
        text += f", {c.quarantined} quarantined" if c.quarantined else ""
        text += f", {sum(c.skipped.values())} skipped" if c.skipped else ""
        text += f", {c.deleted} deleted)" if c.deleted else ")"
        task = self.tasks.get(key)
        if task is None:
            task = self.bars.add_task("", total=event.total, label=f"{key[0]}/{key[1]}",
                                      counts=text)
            self.tasks[key] = task
        self.bars.update(task, completed=event.done or 0, total=event.total, counts=text)


@dataclass(slots=True)
class SyncOutcome:
    summaries: list[RunSummary] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    misconfigured: bool = False

    @property
    def quarantined(self) -> int:
        return sum(s.total.quarantined for s in self.summaries)

    def exit_code(self) -> int:
        if self.misconfigured:
            return exits.USAGE
        if self.failures:
            return exits.FAILED
        return exits.QUARANTINED if self.quarantined else exits.OK


def chosen_connectors(hub: Hub, names: Sequence[str]) -> list[str]:
    if names:
        for name in names:
            if name not in hub.config.connectors:
                known = ", ".join(sorted(hub.config.connectors)) or "none configured"
                raise ConfigError(f"no connector named {name!r} in the config (known: {known})",
                                  path=f"connectors.{name}",
                                  hint="check the name against the [connectors.NAME] sections")
        return list(names)
    enabled = [n for n, s in hub.config.connectors.items() if s.enabled]
    if not enabled:
        raise ConfigError("no enabled connector in the config",
                          hint="add a [connectors.NAME] section (`billing-hub init` shows how)")
    return enabled


def run_syncs(
    hub: Hub, names: Sequence[str], *, full: bool = False, entities: Sequence[str] | None = None,
    show_progress: bool = True,
) -> SyncOutcome:
    """Sync each connector in turn; one failing connector does not stop the others."""
    outcome = SyncOutcome()
    for name in chosen_connectors(hub, names):
        with ProgressDisplay(show_progress) as display:
            engine = SyncEngine(hub, progress=display)
            try:
                summary = engine.sync(name, full=full, entities=entities)
            except (ConfigError, PluginError) as exc:
                outcome.failures[name] = str(exc)
                outcome.misconfigured = True
                err.print(Text.assemble(("config error: ", "bold red"), redact(str(exc))))
                continue
            except HubError as exc:
                outcome.failures[name] = str(exc)
                err.print(Text.assemble((f"sync of {name} failed: ", "bold red"),
                                        redact(str(exc))))
                continue
        outcome.summaries.append(summary)
    return outcome


def print_outcome(outcome: SyncOutcome, *, hints: bool = True) -> None:
    if outcome.summaries:
        out.print(counts_table(outcome.summaries))
        for line in skipped_lines(outcome.summaries):
            out.print(line)
    if outcome.quarantined and hints:
        out.print(styled(f"[yellow]{outcome.quarantined} record(s) quarantined.[/] "
                         "See them with `billing-hub quarantine list`. Fixed the source file? "
                         "Sync again. Fixed the mapping? `billing-hub quarantine retry --all`."))


def sync(
    ctx: typer.Context,
    connectors: list[str] | None = typer.Argument(
        None, help="Connector names from the config (default: every enabled one)."),
    full: bool = typer.Option(False, "--full", help="Ignore saved cursors and pull everything."),
    entity: list[str] | None = typer.Option(
        None, "--entity", "-e", help="Only this entity (repeatable)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars."),
) -> None:
    """Pull records from connectors into the store."""
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        outcome = run_syncs(hub, connectors or [], full=full, entities=entity or None,
                            show_progress=not no_progress)
    print_outcome(outcome)
    raise typer.Exit(outcome.exit_code())
