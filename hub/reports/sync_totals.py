"""The control totals of each connector's newest sync run, as ``billing-hub status`` shows
them: per entity and currency, what was read, stored, quarantined and skipped, and
each comparison with the source's own totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hub.money import from_minor_units
from hub.store import Connection, controls, incomplete, runs
from hub.store.controls import NO_CURRENCY, Control, Tally


@dataclass(slots=True)
class TotalsLine:
    """One entity and currency of a run: counts, and the stored sum (None: no money)."""

    connector: str
    run_id: int
    entity: str
    currency: str
    tally: Tally
    stored_sum: Decimal | None


@dataclass(slots=True)
class LastSyncTotals:
    """The newest sync run of each connector: its lines and its comparisons."""

    lines: list[TotalsLine] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)

    def checks(self) -> list[str]:
        """One sentence per comparison with a source's own totals."""
        out = []
        for c in self.controls:
            if c.short:
                out.append(f"{c.connector}/{c.entity}: DOES NOT AGREE with {c.basis}: "
                           f"{incomplete.describe(c)}")
                continue
            said = [f"{c.stated_count:,} records"] if c.stated_count is not None else []
            said += [f"{cur} {from_minor_units(s, cur):,}" for cur, (s, _) in
                     sorted(c.sums.items())]
            out.append(f"{c.connector}/{c.entity}: agrees with {c.basis} "
                       f"({', '.join(said)})")
        return out


def last_sync_totals(conn: Connection, connector: str | None = None) -> LastSyncTotals:
    """The totals of the newest sync run of each connector (or of ``connector``)."""
    result = LastSyncTotals()
    for run_id in controls.last_sync_runs(conn, connector):
        summary = runs.get(conn, run_id)
        if summary is None:
            continue
        for (entity, currency), tally in controls.totals_of(conn, run_id).items():
            money = (None if currency == NO_CURRENCY
                     else from_minor_units(tally.stored_minor, currency))
            result.lines.append(TotalsLine(summary.connector, run_id, entity, currency, tally,
                                           money))
        result.controls.extend(controls.controls_of(conn, run_id))
    return result
