"""Control totals of sync runs: what each run read, stored, quarantined and skipped per
entity and currency, and what the sources stated of their own totals beside what the
hub held.

Amounts are integer minor units of their currency, summed per currency, never across
currencies; ``""`` stands for rows with no money or whose currency is unknown
(customers, quarantined and skipped rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.store.schema import records, run_controls, run_totals, runs

NO_CURRENCY = ""


@dataclass(slots=True)
class Tally:
    """One run's counts and sums for one entity and currency."""

    read_count: int = 0
    read_minor: int = 0
    stored_count: int = 0
    stored_minor: int = 0
    quarantined_count: int = 0
    skipped_count: int = 0

    def add(self, other: Tally) -> None:
        self.read_count += other.read_count
        self.read_minor += other.read_minor
        self.stored_count += other.stored_count
        self.stored_minor += other.stored_minor
        self.quarantined_count += other.quarantined_count
        self.skipped_count += other.skipped_count

    def __bool__(self) -> bool:
        return any((self.read_count, self.stored_count, self.quarantined_count,
                    self.skipped_count))


_TALLY = ("read_count", "read_minor", "stored_count", "stored_minor", "quarantined_count",
          "skipped_count")


def add_totals(conn: Connection, run_id: int, entity: str, tallies: Mapping[str, Tally]) -> None:
    """Add ``tallies`` (currency -> tally) to run ``run_id``'s totals of ``entity``."""
    for currency, tally in tallies.items():
        if not tally:
            continue
        where = (run_totals.c.run_id == run_id, run_totals.c.entity == entity,
                 run_totals.c.currency == currency)
        row = conn.execute(sa.select(*(run_totals.c[n] for n in _TALLY)).where(*where)).first()
        if row is None:
            conn.execute(run_totals.insert().values(
                run_id=run_id, entity=entity, currency=currency,
                **{n: getattr(tally, n) for n in _TALLY}))
            continue
        total = Tally(*row)
        total.add(tally)
        conn.execute(run_totals.update().where(*where).values(
            **{n: getattr(total, n) for n in _TALLY}))


def totals_of(conn: Connection, run_id: int) -> dict[tuple[str, str], Tally]:
    """(entity, currency) -> tally of run ``run_id``, in entity and currency order."""
    stmt = (sa.select(run_totals.c.entity, run_totals.c.currency,
                      *(run_totals.c[n] for n in _TALLY))
            .where(run_totals.c.run_id == run_id)
            .order_by(run_totals.c.id))
    return {(r[0], r[1]): Tally(*r[2:]) for r in conn.execute(stmt)}


def held(conn: Connection, source: str, entity: str) -> tuple[int, dict[str, int]]:
    """How many live records of ``source`` and ``entity`` the store holds, and the sum of
    their amounts per currency (minor units)."""
    c = records.c
    stmt = (sa.select(c.currency, sa.func.count(), sa.func.sum(c.amount_minor))
            .where(c.source == source, c.entity == entity, c.deleted_at.is_(None))
            .group_by(c.currency))
    count = 0
    sums: dict[str, int] = {}
    for currency, n, minor in conn.execute(stmt):
        count += n
        if currency is not None and minor is not None:
            sums[currency] = int(minor)
    return count, sums


@dataclass(slots=True)
class Control:
    """A source's statement of its totals in one sync run, beside what the hub held.

    ``sums``: currency -> (stated, held) in minor units. ``short`` when the hub held
    fewer records, or less money in a currency, than the source stated.
    """

    run_id: int
    connector: str
    entity: str
    basis: str
    covers: str
    stated_count: int | None
    held_count: int | None
    quarantined_count: int
    sums: dict[str, tuple[int, int]] = field(default_factory=dict)
    short: bool = False


def record_control(conn: Connection, control: Control) -> None:
    """Keep ``control`` with its run."""
    conn.execute(run_controls.insert().values(
        run_id=control.run_id, connector=control.connector, entity=control.entity,
        basis=control.basis, covers=control.covers, stated_count=control.stated_count,
        held_count=control.held_count, quarantined_count=control.quarantined_count,
        sums=orjson.dumps({k: list(v) for k, v in sorted(control.sums.items())}).decode(),
        short=control.short))


def _control(row: sa.Row[object]) -> Control:
    m = row._mapping
    sums = {str(k): (int(v[0]), int(v[1])) for k, v in orjson.loads(m["sums"]).items()}
    return Control(m["run_id"], m["connector"], m["entity"], m["basis"], m["covers"],
                   m["stated_count"], m["held_count"], m["quarantined_count"], sums,
                   bool(m["short"]))


def controls_of(conn: Connection, run_id: int) -> list[Control]:
    """The controls of run ``run_id``, in the order they were made."""
    stmt = sa.select(run_controls).where(run_controls.c.run_id == run_id).order_by(
        run_controls.c.id)
    return [_control(r) for r in conn.execute(stmt)]


def latest_controls(conn: Connection) -> list[Control]:
    """The newest control of each connector and entity."""
    newest = (sa.select(sa.func.max(run_controls.c.id).label("id"))
              .group_by(run_controls.c.connector, run_controls.c.entity)
              .subquery())
    stmt = (sa.select(run_controls).where(run_controls.c.id.in_(sa.select(newest.c.id)))
            .order_by(run_controls.c.connector, run_controls.c.entity))
    return [_control(r) for r in conn.execute(stmt)]


def last_sync_runs(conn: Connection, connector: str | None = None) -> list[int]:
    """The id of the newest sync run of each connector (of ``connector`` only, when given)."""
    stmt = sa.select(sa.func.max(runs.c.id)).where(runs.c.kind == "sync").group_by(
        runs.c.connector)
    if connector:
        stmt = stmt.where(runs.c.connector == connector)
    return sorted(int(r[0]) for r in conn.execute(stmt))
