"""Sending the outbox: pending changes to one connector, in batches, each with its key.

For each batch: the rows' attempts are counted and committed first (a crash
while the connector works still counts the try); then :meth:`Connector.push`
gets one :class:`PushChange` per row; then, in one transaction per batch,
each row takes its result (``sent`` or ``rejected``, the id in the target,
``sent_at``), the target's copy is stored and linked to the hub's record,
and the audit log says what happened. A payment application
(:mod:`hub.outbox.applications`) stores nothing: the target's copy comes
with a later sync, which is what confirms it. A crash after the system answered and
before that commit leaves the rows pending: they go again with the same
keys, and the system answers with what it did the first time.

An update goes with its base (:func:`hub.outbox.review.base_of`: the
record as last sent to the target, or as a coordinator last settled a
conflict), so the connector leaves alone what someone changed in the target
meanwhile: fields only they changed are kept as theirs (the merge is sent and
audited, ``push.merged``), and a field both changed is a ``conflict`` row
that waits for a person (``push.conflict``; ``billing-hub push keep-theirs``
or ``push send-ours``), never written. With ``only_approved`` only rows a
person approved are sent; the others stay queued.

A :class:`TransientError` (the system unreachable or throttling after the
connector's own retries) ends the run: the rows keep their error and go
again on the next run, until ``max_attempts`` tries, after which they are
``failed`` with the reason. A :class:`FatalError` (credentials refused)
stops the run with what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from hub.contract.connector import Connector
from hub.contract.names import record_name
from hub.contract.pushing import PushChange, PushOperation, PushResult, PushStatus
from hub.errors import FatalError, HubError, PluginError, TransientError
from hub.outbox.applications import ENTITY as APPLICATIONS
from hub.outbox.applications import application_change
from hub.outbox.links import link_pushed, stored_id, targets_of
from hub.outbox.mirror import customer_id
from hub.outbox.names import applied_names
from hub.outbox.queue import (
    CONFLICT,
    FAILED,
    PENDING,
    REJECTED,
    SENT,
    SUPERSEDED,
    record_of,
    result_of,
)
from hub.outbox.review import approved, base_of
from hub.outbox.settings import PushSettings
from hub.secrets import redact
from hub.store import Connection, Engine, audit, refused_by_constraint, runs
from hub.store import outbox as store_outbox
from hub.store import records as store_records
from hub.store.clock import as_utc, utcnow

log = logging.getLogger(__name__)

ENTITY_ORDER = ("customer", "invoice")
"""Entities whose rows go first: an invoice needs its customer in the target."""
OPERATIONS = frozenset(op.value for op in PushOperation)


@dataclass(slots=True)
class SendCounts:
    """What one send run did with the changes for one target."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    failed: int = 0
    conflicts: int = 0
    """Not sent: the target changed the same fields meanwhile (waiting for a person)."""
    pending: int = 0
    """Still queued after the run (waiting, or to go again after a transient failure)."""
    unapproved: int = 0
    """Of ``pending``, those left because nobody approved them (``only_approved``)."""
    stopped: str | None = None
    """Why the run ended early (the system kept failing), if it did."""

    @property
    def done(self) -> int:
        return (self.created + self.updated + self.unchanged + self.rejected + self.failed
                + self.conflicts)

    def add(self, other: SendCounts) -> None:
        """Add the counts of ``other`` (one entity's) to these."""
        for name in ("created", "updated", "unchanged", "rejected", "failed", "conflicts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.stopped = self.stopped or other.stopped


@dataclass(frozen=True, slots=True)
class SendProgress:
    """After each batch: the target, the entity, rows done of rows to do, and the
    entity's counts so far."""

    target: str
    entity: str
    done: int
    total: int
    counts: SendCounts


@dataclass(slots=True)
class _Row:
    id: int
    entity: str
    operation: str
    record_id: int | None
    payload: str
    key: str
    attempts: int
    result: dict[str, Any]
    created_at: datetime
    change: PushChange | None = None
    source_label: str = ""
    note: str = ""
    """Why the row is not sent although it is pending (for ``push plan``)."""


@dataclass(slots=True)
class OutboxSender:
    """Sends the pending changes for one connector (``connector.name`` is the target)."""

    engine: Engine
    connector: Connector
    entities: Collection[str]
    """The entities the connector declares ``push`` for; rows of others are left queued."""
    settings: PushSettings = field(default_factory=PushSettings)
    actor: str = field(default_factory=audit.default_actor)
    progress: Callable[[SendProgress], None] | None = None
    clock: Callable[[], datetime] = utcnow
    only_approved: bool = False
    """Send only the rows a person approved (``billing-hub push approve``); leave the rest."""

    @property
    def target(self) -> str:
        return self.connector.name

    def send(self) -> SendCounts:
        """Send every pending change for the target; see the module's docstring.

        The send is recorded as a run (kind ``push``); while one is under way for
        the target, another process on this machine gets :class:`AlreadyRunning`
        instead of sending the same rows at the same time.
        """
        with self.engine.begin() as conn:
            run_id = runs.begin(conn, "push", self.target, self.clock(),
                                doing=f"a push send to {self.target!r}")
        with runs.recorded(self.engine, run_id, self.clock) as outcome:
            counts = self._send_all()
            if counts.stopped:
                outcome.fail(counts.stopped)
            return counts

    def _send_all(self) -> SendCounts:
        counts = SendCounts()
        for entity in self._entities_pending():
            if counts.stopped is not None:
                break
            with self.engine.connect() as conn:
                total = store_outbox.count_pending(conn, target=self.target, entities=[entity],
                                                   operations=OPERATIONS)
            done, after, mine = 0, 0, SendCounts()
            try:
                while mine.stopped is None:
                    rows, after = self._next_batch(entity, after)
                    if after == 0:
                        break
                    if not rows:
                        continue
                    self._send_batch(rows, mine)
                    done += len(rows)
                    if self.progress is not None:
                        self.progress(SendProgress(self.target, entity, done, total, mine))
            finally:
                counts.add(mine)
        with self.engine.connect() as conn:
            counts.pending = store_outbox.count_pending(conn, target=self.target,
                                                        entities=self.entities)
            if self.only_approved:
                counts.unapproved = sum(
                    1 for r in store_outbox.in_status(conn, [PENDING], target=self.target)
                    if r.entity in self.entities and not approved(result_of(r.result)))
        return counts

    # ------------------------------------------------------------------ selecting
    def _entities_pending(self) -> list[str]:
        with self.engine.connect() as conn:
            found = store_outbox.pending_entities(conn, self.target)
        wanted = [e for e in found if e in self.entities]
        return sorted(wanted, key=lambda e: (ENTITY_ORDER.index(e) if e in ENTITY_ORDER
                                             else len(ENTITY_ORDER), e))

    def _next_batch(self, entity: str, after: int) -> tuple[list[_Row], int]:
        """Up to ``batch_size`` rows after ``after``, never two of one record in a batch
        (the second may need the first one's answer), nor two applications of one receipt
        (the second goes on the payment the first one's answer names); and the id to go on
        after (0: no row left). Rows nobody approved are passed over with ``only_approved``."""
        with self.engine.connect() as conn:
            found = store_outbox.next_pending(conn, target=self.target, entity=entity,
                                              operations=OPERATIONS, after=after,
                                              limit=self.settings.batch_size)
            rows: list[_Row] = []
            seen: set[int] = set()
            receipts: set[int] = set()
            last = 0
            for r in found:
                if self.only_approved and not approved(result_of(r.result)):
                    last = r.id
                    continue
                if r.record_id is not None and r.record_id in seen:
                    break
                if r.record_id is not None:
                    seen.add(r.record_id)
                if r.entity == APPLICATIONS:
                    receipt = int(orjson.loads(r.payload)["payment_id"])
                    if receipt in receipts:
                        break
                    receipts.add(receipt)
                rows.append(_Row(r.id, r.entity, r.operation, r.record_id, r.payload,
                                 r.idempotency_key, r.attempts, result_of(r.result),
                                 as_utc(r.created_at) or r.created_at))
                last = r.id
        return rows, last

    def pending_rows(self) -> list[_Row]:
        """Every pending row for the target of the entities sent, approved or not, in the
        order they would go (for a preview)."""
        rows: list[_Row] = []
        with self.engine.connect() as conn:
            for entity in self._entities_pending():
                rows += [_Row(r.id, r.entity, r.operation, r.record_id, r.payload,
                              r.idempotency_key, r.attempts, result_of(r.result),
                              as_utc(r.created_at) or r.created_at)
                         for r in store_outbox.in_status(conn, [PENDING], target=self.target)
                         if r.entity == entity and r.operation in OPERATIONS]
        return rows

    def prepare(self, conn: Connection, row: _Row) -> str | None:
        """Build ``row.change`` as :meth:`send` would, writing nothing: ``None`` when
        built, else why it would not go (``row.note``, or the reason it would fail)."""
        problem = self._prepare(conn, row, self.clock(), dry=True)
        return None if problem is None else (problem or row.note or "left for later")

    # ------------------------------------------------------------------ sending
    def _send_batch(self, rows: list[_Row], counts: SendCounts) -> None:
        now = self.clock()
        ready: list[_Row] = []
        with self.engine.begin() as conn:
            for row in rows:
                problem = self._prepare(conn, row, now)
                if problem is None:
                    ready.append(row)
                elif problem:
                    self._finish(conn, row, FAILED, problem, now)
                    counts.failed += 1
            for row in ready:  # counted before sending: a crash mid-push still counts a try
                first = row.result.get("first_sent_at") or now.isoformat()
                row.result = {**row.result, "first_sent_at": first}
                row.attempts += 1
                store_outbox.count_attempt(conn, row.id, row.attempts,
                                           orjson.dumps(row.result).decode())
        if not ready:
            return
        changes = [r.change for r in ready if r.change is not None]
        try:
            results = self.connector.push(changes)
        except TransientError as exc:
            self._transient(ready, exc, counts)
            return
        except FatalError as exc:
            self._note_error(ready, exc)
            raise HubError(f"pushing to {self.target} stopped: {redact(str(exc))}",
                           hint="fix that, then run `billing-hub push send` again: the "
                                "changes stay queued with their keys") from None
        by_key = {r.idempotency_key: r for r in results}
        missing = [r for r in ready if r.key not in by_key]
        if missing:
            raise PluginError(f"connector {self.target!r} answered {len(results)} results for "
                              f"{len(ready)} changes, none for {missing[0].key}",
                              hint="a connector's push must return one result per change")
        with self.engine.begin() as conn:
            for row in ready:
                self._record(conn, row, by_key[row.key], now, counts)

    def _prepare(self, conn: Connection, row: _Row, now: datetime, *, dry: bool = False
                 ) -> str | None:
        """Build the row's change; '' to leave it for later, a reason to give it up.
        ``dry``: for a preview, writing nothing."""
        window = timedelta(hours=self.settings.resend_window_hours)
        first = row.result.get("first_sent_at")
        if row.attempts and first and now - datetime.fromisoformat(first) > window:
            return (f"first sent {first[:16]} and never answered: the target may have done it "
                    f"and may have forgotten the key since, so it is not sent again by itself. "
                    f"Check {self.target} for it (metadata hub_external_id), link it if it is "
                    f"there (`billing-hub link`), else `billing-hub push retry {row.id}`")
        if row.entity == APPLICATIONS:
            made = application_change(conn, self.target, row.id, row.operation, row.payload,
                                      row.key)
            if isinstance(made, str):
                return made
            row.change = made
            data = orjson.loads(row.payload)
            row.source_label = applied_names(data)
            return None
        try:
            record = record_of(row.entity, row.payload)
        except ValidationError as exc:
            return f"the queued content is not a valid {row.entity}: {exc.errors()[0]['msg']}"
        row.source_label = record_name(record.source, row.entity, record.external_id)
        operation = PushOperation(row.operation)
        target_id = None
        if row.record_id is not None:
            target_id = targets_of(conn, [row.record_id], self.target).get(row.record_id)
        if operation is PushOperation.CREATE and target_id is not None:
            row.note = (f"{row.source_label} is already linked to "
                        f"{record_name(self.target, row.entity, target_id)}")
            if not dry:
                self._finish(conn, row, SUPERSEDED, row.note, now)
            return ""
        if operation is not PushOperation.CREATE and target_id is None:
            return (f"{row.source_label} has no copy in {self.target} to "
                    f"{operation.value.replace('_', ' ')}: queue it again (`billing-hub push "
                    "queue`) to have it created, or link it (`billing-hub link`)")
        references: dict[str, str] = {}
        if row.entity == "invoice":
            customer = self._customer_copy(conn, record.source, orjson.loads(row.payload))
            if customer is not None:
                references["customer"] = customer
        base = None
        if operation is PushOperation.UPDATE and row.record_id is not None:
            base = base_of(conn, self.target, row.record_id, row.id)
        overrule = row.result.get("overrule") or {}
        row.change = PushChange(operation, record, row.key, target_id, references,
                                base=base, overrule=overrule)
        return None

    def _customer_copy(self, conn: Connection, source: str, invoice: dict[str, Any]
                       ) -> str | None:
        """The target's id of the invoice's customer (by reference, else by unique name)."""
        found = customer_id(conn, source, invoice)
        return None if found is None else targets_of(conn, [found], self.target).get(found)

    # ------------------------------------------------------------------ results
    def _record(self, conn: Connection, row: _Row, result: PushResult, now: datetime,
                counts: SendCounts) -> None:
        if result.status is PushStatus.CONFLICT:
            self._conflict(conn, row, result, now, counts)
            return
        status = REJECTED if result.status is PushStatus.REJECTED else SENT
        row.result = {**row.result, "status": result.status.value,
                      "external_id": result.external_id, "reason": result.reason or None}
        if result.fields and status == SENT:
            row.result["merged"] = [f.as_dict() for f in result.fields]
        store_outbox.answered(conn, row.id, status=status, sent_at=now,
                              result=orjson.dumps(row.result).decode(),
                              last_error=result.reason or None)
        copy_id = None
        stores = row.entity != APPLICATIONS  # an application: a later sync confirms it
        if stores and result.record is not None and result.external_id:
            prepared = store_records.prepare(result.record)
            try:
                with conn.begin_nested():
                    store_records.upsert(conn, self.target, row.entity, [prepared],
                                         run_id=None, now=now)
            except Exception as exc:
                if not refused_by_constraint(exc):
                    raise
                # a sync stored the same copy a moment ago: it is an update now
                store_records.upsert(conn, self.target, row.entity, [prepared],
                                     run_id=None, now=now)
        if stores and result.external_id:
            copy_id = stored_id(conn, self.target, row.entity, result.external_id)
        if copy_id is not None and row.record_id is not None:
            link_pushed(conn, row.record_id, copy_id, actor=self.actor, now=now)
        name = {PushStatus.CREATED: "created", PushStatus.UPDATED: "updated",
                PushStatus.UNCHANGED: "unchanged", PushStatus.REJECTED: "rejected"}
        setattr(counts, name[result.status], getattr(counts, name[result.status]) + 1)
        copy = self.target
        if result.external_id:  # an application's answer is the target's payment or invoice
            copy = (f"{self.target}:{result.external_id}" if row.entity == APPLICATIONS
                    else record_name(self.target, row.entity, result.external_id))
        audit.record(conn, f"push.{'rejected' if status == REJECTED else 'sent'}",
                     subject=f"{row.source_label} -> {copy}", actor=self.actor, at=now,
                     details={"operation": row.operation, "result": result.status.value,
                              "idempotency_key": row.key, "outbox_id": row.id,
                              **({"reason": result.reason} if result.reason else {})})
        if result.fields and status == SENT:
            audit.record(conn, "push.merged", subject=f"{row.source_label} -> {copy}",
                         actor=self.actor, at=now,
                         details={"outbox_id": row.id, "kept_theirs":
                                  [f.as_dict() for f in result.fields]})

    def _conflict(self, conn: Connection, row: _Row, result: PushResult, now: datetime,
                  counts: SendCounts) -> None:
        """Nothing was written: the row waits for a person, replacing older conflicts of
        the same record (their fields are in this one too, or settled since)."""
        row.result = {**row.result, "status": result.status.value,
                      "external_id": result.external_id, "reason": result.reason or None,
                      "conflict": [f.as_dict() for f in result.fields]}
        store_outbox.answered(conn, row.id, status=CONFLICT, sent_at=now,
                              result=orjson.dumps(row.result).decode(),
                              last_error=result.reason or "changed in both systems")
        if row.record_id is not None:
            for older in store_outbox.of_record(conn, self.target, row.record_id,
                                                before=row.id, statuses=[CONFLICT],
                                                operations=[PushOperation.UPDATE.value]):
                store_outbox.finish(conn, older.id, SUPERSEDED,
                                    f"replaced by the newer change {row.id}, in conflict too")
        counts.conflicts += 1
        copy = f"{self.target}:{result.external_id}" if result.external_id else self.target
        audit.record(conn, "push.conflict", subject=f"{row.source_label} -> {copy}",
                     actor=self.actor, at=now,
                     details={"outbox_id": row.id, "idempotency_key": row.key,
                              "fields": [f.as_dict() for f in result.fields]})

    def _finish(self, conn: Connection, row: _Row, status: str, reason: str,
                now: datetime) -> None:
        store_outbox.finish(conn, row.id, status, reason)
        if status == FAILED:
            audit.record(conn, "push.failed", subject=row.source_label or f"outbox {row.id}",
                         actor=self.actor, at=now,
                         details={"operation": row.operation, "idempotency_key": row.key,
                                  "outbox_id": row.id, "reason": reason})

    def _transient(self, rows: Sequence[_Row], exc: TransientError, counts: SendCounts) -> None:
        text = redact(exc.message)
        now = self.clock()
        with self.engine.begin() as conn:
            for row in rows:
                if row.attempts >= self.settings.max_attempts:
                    self._finish(conn, row, FAILED,
                                 f"gave up after {row.attempts} tries; the last: {text}", now)
                    counts.failed += 1
                else:
                    store_outbox.note_error(conn, [row.id], text)
        counts.stopped = text
        log.info("push to %s stopped: %s", self.target, text)

    def _note_error(self, rows: Sequence[_Row], exc: HubError) -> None:
        with self.engine.begin() as conn:
            store_outbox.note_error(conn, [r.id for r in rows],
                                    redact(exc.message))
