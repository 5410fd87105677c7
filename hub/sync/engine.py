"""The sync engine: pull pages from a connector into the store.

Each page is one transaction: upsert its records (unchanged ones are found by
content hash and cost nothing), quarantine its rejects, advance the cursor and
add the counts to the run. A crash loses at most the page in flight, which
the next run pulls again from the saved cursor: nothing lost, nothing doubled.

A record the store refuses (a value the model's checks let through and the
database does not) never fails its page: the page is written again record by
record, and the one refused is quarantined with the database's reason.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from hub.contract.connector import Connector
from hub.contract.outcomes import EntityCounts, RunSummary
from hub.contract.page import Page
from hub.errors import RecordRejected
from hub.runtime import Hub
from hub.store import (
    Connection,
    controls,
    cursors,
    incomplete,
    quarantine,
    records,
    refused_by_constraint,
    runs,
)
from hub.store.clock import utcnow
from hub.store.controls import Tally
from hub.sync.tallies import Segment, tally_page

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Progress:
    """What the engine tells a progress display after each committed page."""

    connector: str
    entity: str
    counts: EntityCounts
    done: int | None = None
    total: int | None = None


ProgressCallback = Callable[[Progress], None]


class SyncAlreadyRunning(runs.AlreadyRunning):
    """Another process is syncing the same connector right now."""


def _split_duplicates(
    page: Page, entity: str
) -> tuple[list[records.PreparedRecord], list[RecordRejected]]:
    """Prepare a page's records; a second record with the same id in one page is rejected."""
    prepared: list[records.PreparedRecord] = []
    rejects: list[RecordRejected] = []
    ids = Counter(r.external_id for r in page.records)
    seen: set[str] = set()
    for rec in page.records:
        location = page.locations.get(rec.external_id)
        if ids[rec.external_id] > 1:
            if rec.external_id in seen:
                rejects.append(RecordRejected(
                    f"{entity} {rec.external_id!r} appears more than once in the same page; "
                    "the first one was kept",
                    raw=rec.raw, location=location or "", entity=entity,
                ))
                continue
            seen.add(rec.external_id)
        try:
            prepared.append(records.prepare(rec, location))
        except (TypeError, ValueError) as exc:  # raw that is not JSON, text not Unicode
            rejects.append(RecordRejected(
                f"{entity} {rec.external_id!r} cannot be stored: {str(exc)[:200]}",
                raw=rec.raw, location=location or "", entity=entity))
    return prepared, rejects


def _refused(page: Page, entity: str, refused: Sequence[tuple[records.PreparedRecord, str]]
             ) -> list[RecordRejected]:
    by_id = {rec.external_id: rec for rec in reversed(page.records)}  # the first one kept
    return [
        RecordRejected(
            f"the store refused this {entity.replace('_', ' ')}: {reason}",
            raw=by_id[row.external_id].raw, location=page.locations.get(row.external_id, ""),
            entity=entity, external_id=row.external_id,
        )
        for row, reason in refused
    ]


def _repeats(page: Page, entity: str, ids: Sequence[str]) -> list[RecordRejected]:
    wanted = set(ids)
    return [
        RecordRejected(
            f"{entity.replace('_', ' ')} id {rec.external_id!r} was already pulled earlier in "
            "this run (the first one was kept); the source has two records with one id",
            raw=rec.raw, location=page.locations.get(rec.external_id, ""), entity=entity,
            external_id=None,
        )
        for rec in page.records
        if rec.external_id in wanted
    ]


@contextmanager
def collector_on_new_objects_only() -> Iterator[None]:
    """Keep the cyclic garbage collector to what a sync creates, while it runs.

    A sync allocates millions of short-lived objects (cells, records, prepared
    rows) that reference counting frees. Left as it is, the collector runs
    every 700 allocations and, on each full pass, walks every object alive
    before the sync began as well (modules, pydantic schemas, SQLAlchemy
    metadata): about a tenth of a large import's time, to find nothing. For
    the sync those objects are set aside (``gc.freeze``) and young objects are
    collected in bigger batches; both are given back afterwards. A process
    that froze objects itself (a pre-forking server) keeps its own freeze.
    """
    threshold = gc.get_threshold()
    ours = gc.get_freeze_count() == 0
    if ours:
        gc.freeze()
    gc.set_threshold(max(threshold[0], 10_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if ours:
            gc.unfreeze()


class SyncEngine:
    """Runs syncs of the hub's configured connectors into its store."""

    def __init__(self, hub: Hub, *, progress: ProgressCallback | None = None) -> None:
        self.hub = hub
        self.engine = hub.engine
        self.progress = progress
        self._created_since_analyze = 0
        self._analyze_after = 2000
        self.last_tallies: dict[str, Tally] = {}
        """Currency -> tally of the page committed last (:mod:`hub.sync.tallies`)."""

    def commit_page(self, source: str, entity: str, page: Page, run_id: int | None) -> EntityCounts:
        """Store one page in one transaction and return its counts.

        When the store refuses a record of it, the page is written again in one
        transaction, record by record, and the refused ones are quarantined. A
        record another process stored between this page's read of the store and
        its insert (a push storing the copy it just created, as the sync reads it)
        fails the insert on its unique key: that is a race, not bad data, and the
        page is stored again, once, and finds that record stored.
        """
        try:
            return self._commit_page(source, entity, page, run_id)
        except Exception as exc:
            if not refused_by_constraint(exc):
                raise
            log.info("%s/%s: a record of this page was stored meanwhile by another process; "
                     "storing the page again", source, entity)
            return self._commit_page(source, entity, page, run_id)

    def _commit_page(self, source: str, entity: str, page: Page, run_id: int | None
                     ) -> EntityCounts:
        prepared, dup_rejects = _split_duplicates(page, entity)
        try:
            return self._commit(source, entity, page, run_id, prepared, dup_rejects)
        except records.RecordRefused as exc:
            log.warning("%s/%s: the store refused a record of a page (%s); writing the page "
                        "record by record", source, entity, exc.message)
            return self._commit(source, entity, page, run_id, prepared, dup_rejects,
                                one_by_one=True)

    def _commit(self, source: str, entity: str, page: Page, run_id: int | None,
                prepared: list[records.PreparedRecord], dup_rejects: list[RecordRejected],
                *, one_by_one: bool = False) -> EntityCounts:
        rejected = [*page.rejected, *dup_rejects]
        read = list(prepared)
        now = utcnow()
        with self.engine.begin() as conn:
            if one_by_one:
                result, refused = records.upsert_each(conn, source, entity, prepared,
                                                      run_id=run_id, now=now)
                if refused:
                    rejected.extend(_refused(page, entity, refused))
                    gone = {row.external_id for row, _ in refused}
                    prepared = [p for p in prepared if p.external_id not in gone]
            else:
                result = records.upsert(conn, source, entity, prepared, run_id=run_id, now=now)
            counts = result.counts
            if page.deleted:
                given = {p.external_id for p in prepared}
                counts.deleted = records.mark_deleted(
                    conn, source, entity, [i for i in page.deleted if i not in given], now=now)
            if result.repeated:
                rejected.extend(_repeats(page, entity, result.repeated))
            stored = {p.external_id for p in prepared} - set(result.repeated)
            self.last_tallies = tally_page(
                read, {p.external_id for p in read} - stored, quarantined=len(rejected),
                skipped=sum(page.skipped.values()),
                unmapped=len(page.rejected) + len(dup_rejects))
            if rejected:
                added = quarantine.add_all(conn, source, entity, rejected, run_id=run_id, now=now)
                counts.quarantined, counts.dismissed = added.open, added.dismissed
            if page.skipped:
                counts.skipped = dict(page.skipped)
            if page.notes:
                counts.notes = list(page.notes)
            if prepared and (counts.created or counts.updated) and quarantine.has_open(
                conn, source, entity
            ):
                quarantine.resolve_superseded(
                    conn, source, entity, [p.external_id for p in prepared], now
                )
            if page.cursor is not None:
                cursors.save(conn, source, entity, page.cursor, run_id=run_id, now=now)
            if run_id is not None:
                runs.add_counts(conn, run_id, entity, counts)
                controls.add_totals(conn, run_id, entity, self.last_tallies)
            self._keep_statistics(conn, counts.created)
        return counts

    def _keep_statistics(self, conn: Connection, created: int) -> None:
        """Refresh PostgreSQL's statistics each time the records table has doubled.

        A bulk import into a fresh table outruns autovacuum: with no statistics
        the planner keeps scanning the whole table for each page's id lookup,
        and the import slows down quadratically.
        """
        if not records.statistics_kept(conn):
            return
        self._created_since_analyze += created
        if self._created_since_analyze >= self._analyze_after:
            records.refresh_statistics(conn)
            self._analyze_after *= 2
            self._created_since_analyze = 0

    def sync(
        self, instance: str, *, full: bool = False, entities: Sequence[str] | None = None
    ) -> RunSummary:
        """Pull every configured entity of ``instance`` and record the run."""
        with collector_on_new_objects_only():
            return self._sync(instance, full=full, entities=entities)

    def _sync(
        self, instance: str, *, full: bool, entities: Sequence[str] | None
    ) -> RunSummary:
        connector = self.hub.connector(instance)
        try:
            with self.engine.begin() as conn:
                run_id = runs.begin(conn, "sync", instance, utcnow(),
                                    doing=f"a sync of {instance!r}", busy=SyncAlreadyRunning)
        except BaseException:
            connector.close()  # no run to close it in
            raise
        try:
            with runs.recorded(self.engine, run_id, utcnow):
                try:
                    for entity in entities or connector.entities():
                        self._pull_entity(connector, entity, run_id, full=full)
                finally:
                    connector.close()
        finally:
            with self.engine.connect() as conn:
                summary = runs.get(conn, run_id)
            assert summary is not None
            self.hub.notify("hub_sync_finished", summary=summary)
        return summary

    def _pull_entity(self, connector: Connector, entity: str, run_id: int, *, full: bool) -> None:
        source = connector.name
        with self.engine.connect() as conn:
            cursor = None if full else cursors.load(conn, source, entity)
        total = EntityCounts()
        complete = False
        segment = Segment()
        for page in connector.pull(entity, cursor):
            counts = self.commit_page(source, entity, page, run_id)
            segment.add(self.last_tallies)
            total.add(counts)
            complete = page.complete
            if page.stated is not None:
                self._compare(segment, run_id, source, entity, page)
            self.hub.notify("hub_records_pulled", source=source, entity=entity, counts=counts)
            if self.progress is not None:
                done, size = page_progress(page)
                self.progress(Progress(source, entity, total, done, size))
        if complete:
            gone = self.mark_absent(source, entity, run_id, full=full)
            total.add(gone)
        log.info("%s/%s: %s", source, entity, total.as_dict())

    def _compare(self, segment: Segment, run_id: int, source: str, entity: str,
                 page: Page) -> None:
        """Compare the source's stated totals with what the hub has; keep the comparison
        with the run, and raise (or resolve) the ``incomplete_sync`` finding at once."""
        assert page.stated is not None
        now = utcnow()
        with self.engine.begin() as conn:
            control = segment.compare(conn, run_id, source, entity, page.stated)
            controls.record_control(conn, control)
            incomplete.settle(conn, [control], now)
            if control.short:
                runs.add_counts(conn, run_id, entity, EntityCounts(notes=[
                    f"does not agree with {control.basis}: {incomplete.describe(control)} "
                    "(an incomplete_sync finding: `billing-hub findings list --kind "
                    "incomplete_sync`)"]))
        if control.short:
            log.warning("%s/%s: %s", source, entity, incomplete.describe(control))

    def mark_absent(self, source: str, entity: str, run_id: int, *, full: bool = True
                    ) -> EntityCounts:
        """After a complete pull: the stored records it did not give are deleted at the source.

        Unless ``full``, a pull that would delete more than :data:`ABSENT_GUARD` of the
        live records (and more than a handful) deletes none and says so: a file
        overwritten by a shorter export (the last weeks only) must not silently take the
        older lines, their findings and their cash decisions with it.
        """
        with self.engine.begin() as conn:
            absent = records.count_absent(conn, source, entity, run_id=run_id)
            live = records.count_live(conn, source, entity)
            if not full and absent > max(ABSENT_GUARD_MIN, live * ABSENT_GUARD):
                counts = EntityCounts(skipped={
                    f"stored records are no longer in the source and were kept, not deleted: "
                    f"that is more than {ABSENT_GUARD:.0%} of them (a shorter export?); "
                    "`billing-hub sync --full` deletes them": absent})
            else:
                counts = EntityCounts(deleted=records.mark_absent(
                    conn, source, entity, run_id=run_id, now=utcnow()))
            if counts.deleted or counts.skipped:
                runs.add_counts(conn, run_id, entity, counts)
        return counts


ABSENT_GUARD = 0.25
"""The share of a source's live records one ordinary sync may mark deleted ..."""
ABSENT_GUARD_MIN = 10
"""... or this many, whichever is more; ``sync --full`` is not limited."""


def page_progress(page: Page) -> tuple[int | None, int | None]:
    if page.progress is None:
        return None, None
    return page.progress
