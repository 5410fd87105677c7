"""``billing-hub check``: do the connectors' credentials and endpoints work? Nothing is written.

Each connector answers :meth:`hub.Connector.check`; a connector that cannot be built
(a missing environment variable, a bad value) or whose check raises is reported as
failed with the reason and what to do next. Exit 0 when no connector failed, 1 otherwise.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table
from rich.text import Text

from hub.cli import exits
from hub.cli.console import out
from hub.cli.session import CliState, open_hub
from hub.cli.sync_cmd import chosen_connectors
from hub.contract.checking import CheckResult, CheckStatus
from hub.errors import HubError
from hub.runtime import Hub
from hub.secrets import redact

STYLES = {CheckStatus.OK: "green", CheckStatus.FAILED: "bold red",
          CheckStatus.UNCHECKED: "yellow"}


def check_one(hub: Hub, name: str) -> CheckResult:
    """``name``'s own check, or a failure saying why it could not run."""
    try:
        connector = hub.connector(name)
    except HubError as exc:
        return CheckResult.failed(exc.message, exc.hint)
    try:
        return connector.check()
    except HubError as exc:
        return CheckResult.failed(exc.message, exc.hint)
    finally:
        connector.close()


def check(
    ctx: typer.Context,
    connectors: list[str] | None = typer.Argument(
        None, help="Connector names from the config (default: every enabled one)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per connector: "
                                 "connector, type, status, detail, hint."),
) -> None:
    """Check that each connector's credentials and endpoint work, writing nothing."""
    state: CliState = ctx.obj
    results: list[tuple[str, str, CheckResult]] = []
    with open_hub(state) as hub:
        for name in chosen_connectors(hub, connectors or []):
            kind = hub.config.connectors[name].type
            results.append((name, kind, check_one(hub, name)))
    if as_json:
        rows = [{"connector": name, "type": kind, "status": r.status.value,
                 "detail": redact(r.detail), "hint": redact(r.hint) if r.hint else None}
                for name, kind, r in results]
        out.print(json.dumps(rows, indent=2), soft_wrap=True)
    else:
        table = Table(title="connector checks", title_justify="left")
        for col in ("connector", "type", "status", "detail"):
            table.add_column(col, overflow="fold")
        for name, kind, r in results:
            detail = redact(r.detail) + (f"\n-> {redact(r.hint)}" if r.hint else "")
            table.add_row(name, kind, Text(r.status.value, style=STYLES[r.status]), detail)
        out.print(table)
    failed = any(r.status is CheckStatus.FAILED for _, _, r in results)
    raise typer.Exit(exits.FAILED if failed else exits.OK)
