"""The ``--as-of DAY`` option of ``report``, ``metrics`` and ``findings list``."""

from __future__ import annotations

from datetime import datetime

import typer

from hub.cli.console import err
from hub.reconcile.settings import ReconcileSettings
from hub.reports.asof import AS_OF_HELP, end_of_day
from hub.runtime import Hub
from hub.store.clock import utcnow

AS_OF = typer.Option(None, "--as-of", formats=["%Y-%m-%d"], help=AS_OF_HELP)


def knowledge(hub: Hub, as_of: datetime | None) -> datetime | None:
    """The moment an ``--as-of`` day ends in the company's time zone (None: now); a day
    not over yet is read as far as it went, and the user is told a later run may differ."""
    if as_of is None:
        return None
    moment = end_of_day(as_of.date(), hub.settings(ReconcileSettings).timezone)
    if moment > utcnow():
        err.print(f"Note: {as_of.date()} is not over yet: what the hub learns until it ends "
                  "can still change this answer.")
    return moment
