"""The QuickBooks Online connector: customers, invoices, payments and credit memos.

The first sync reads everything (:func:`~plugins.quickbooks.reading.read_all`);
later syncs ask change data capture for what changed since the newest update
read, deletions included, one request per entity when little changed. A
cursor older than CDC's 30 days means a full read again (which, like any
full read, cannot tell deletions). Objects that do not map are quarantined
with QuickBooks' JSON and the reason; the rest of the page is stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from hub import (
    CanonicalRecord,
    CheckResult,
    Connector,
    ConnectorContext,
    FatalError,
    InvoiceDelivery,
    Page,
    PushChange,
    PushResult,
    RecordRejected,
    ReplayGuard,
    SendReceipt,
    StatedTotals,
    WebhookDelivery,
    WebhookReceipt,
    explain_invalid,
)
from plugins.quickbooks import places
from plugins.quickbooks.api import QuickBooksApi, QuickBooksUnavailable
from plugins.quickbooks.config import ALL_ENTITIES, QBO_NAMES, QuickBooksConfig
from plugins.quickbooks.cursor import QuickBooksCursor
from plugins.quickbooks.mapping import MAPPERS, MappingError
from plugins.quickbooks.push import Pusher
from plugins.quickbooks.reading import ALL_OF, Mark, read_all, read_changes
from plugins.quickbooks.sending import send
from plugins.quickbooks.webhooks import verify

Obj = dict[str, Any]
COUNTED: dict[str, tuple[str, ...]] = {**ALL_OF, "Payment": ("TotalAmt > '0'",)}
"""Conditions of the count each pull is checked against: what the hub stores of the entity
(inactive customers too; not payments that move no money, which map to nothing)."""
MARGIN = timedelta(hours=1)
"""A cursor this close to CDC's reach is read in full rather than risk a gap."""


class QuickBooksConnector(Connector):
    """One QuickBooks Online company (``[connectors.NAME]`` of type ``quickbooks``)."""

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        config = context.config
        assert isinstance(config, QuickBooksConfig)
        self.config = config
        self.api = QuickBooksApi(config, context.vault)
        self.home_currency = config.home_currency

    def entities(self) -> Sequence[str]:
        wanted = set(self.config.entities)
        return [e for e in ALL_ENTITIES if e in wanted]

    def close(self) -> None:
        self.api.close()

    def check(self) -> CheckResult:
        """Sign in (the refresh token renewed as a sync would), read the company's
        CompanyInfo, then one object of each configured entity."""
        try:
            info = self.api.read("CompanyInfo", self.config.realm_id)
            for entity in self.entities():
                self.api.query(f"SELECT * FROM {QBO_NAMES[entity]} MAXRESULTS 1")
        except QuickBooksUnavailable as exc:
            return CheckResult.failed(
                exc.message, hint="check the network, `environment` and `api_url`; "
                                  "https://status.developer.intuit.com says whether "
                                  "QuickBooks is down")
        company = str(info.get("CompanyName") or self.config.realm_id)
        return CheckResult.passed(f"signed in to {company!r}; may read "
                                  f"{', '.join(self.entities())}")

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        pusher = Pusher(self.api, self._mapped_answer, self.config.push_item)
        return pusher.push(changes)

    def preview(self, changes: Sequence[PushChange]) -> list[PushResult]:
        pusher = Pusher(self.api, self._mapped_answer, self.config.push_item)
        return pusher.preview(changes)

    def send_invoice(self, delivery: InvoiceDelivery) -> SendReceipt:
        """E-mail the invoice through QuickBooks' send operation (:mod:`.sending`)."""
        return send(self.api, delivery)

    def _mapped_answer(self, entity: str, obj: Obj) -> CanonicalRecord | None:
        try:
            return self._map_one(entity, obj)
        except RecordRejected:
            return None  # stored by the next sync, or quarantined there with the reason

    def verify_webhook(self, delivery: WebhookDelivery, replays: ReplayGuard) -> WebhookReceipt:
        token = self.config.webhook_verifier_token
        if token is None:
            raise FatalError(f"connector {self.name!r} has no webhook_verifier_token",
                             connector=self.name,
                             hint='add `webhook_verifier_token = "env:QBO_VERIFIER_TOKEN"`')
        return verify(delivery, replays, verifier_token=token.get_secret_value(),
                      realm_id=self.config.realm_id)

    # ------------------------------------------------------------------ pulling
    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        saved = QuickBooksCursor.load(cursor)
        mark = saved.mark() if saved is not None else Mark()
        mode = saved.mode if saved is not None else None
        reach = datetime.now(UTC) - timedelta(days=self.config.cdc_days) + MARGIN
        if mode == "changes" and mark.since is not None and (mark.instant() or reach) > reach:
            pages = self._changes(entity, mark)
        else:
            pages = self._everything(entity, mark if mode == "full" else Mark())
        last = cursor
        for page in pages:
            last = page.cursor
            yield page
        # QuickBooks' own count, once the entity is read: the page repeats the last cursor
        yield Page(records=[], cursor=last, stated=self._count(entity))

    def _count(self, entity: str) -> StatedTotals:
        """How many objects of ``entity`` QuickBooks holds, by a ``COUNT`` query, for the hub
        to compare with what it holds after the pull."""
        name = QBO_NAMES[entity]
        conditions = COUNTED.get(name, ())
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        statement = f"SELECT COUNT(*) FROM {name}{where}"
        answer = self.api.query(statement)
        total = (answer.get("QueryResponse") or {}).get("totalCount")
        return StatedTotals(basis=f"QuickBooks: {statement}", count=int(total or 0),
                            covers="source")

    def _everything(self, entity: str, mark: Mark) -> Iterator[Page]:
        name = QBO_NAMES[entity]
        for page in read_all(self.api, name, mark, self.config.page_size):
            records, rejected, gone = self._map(entity, page.items)
            yield Page(records=records, rejected=rejected, deleted=gone,
                       cursor=QuickBooksCursor.at(page.after,
                                                  "full" if page.more else "changes"),
                       locations=self._locations(name, records))

    def _changes(self, entity: str, mark: Mark) -> Iterator[Page]:
        name = QBO_NAMES[entity]
        found = read_changes(self.api, name, mark)
        if not found.complete:  # a burst of 1000 or more: read the changes by query instead
            yield Page(records=[], deleted=found.deleted,
                       cursor=QuickBooksCursor.at(mark, "full"))
            yield from self._everything(entity, Mark(mark.since, list(mark.seen)))
            return
        records, rejected, gone = self._map(entity, found.changed)
        yield Page(records=records, rejected=rejected, deleted=[*found.deleted, *gone],
                   cursor=QuickBooksCursor.at(found.mark, "changes"),
                   locations=self._locations(name, records))

    def _locations(self, name: str, records: Sequence[CanonicalRecord]) -> dict[str, str]:
        return {r.external_id: places.location(self.config, name, r.external_id)
                for r in records}

    # ------------------------------------------------------------------ mapping
    def _map(self, entity: str, objects: Sequence[Obj]
             ) -> tuple[list[CanonicalRecord], list[RecordRejected], list[str]]:
        records: list[CanonicalRecord] = []
        rejected: list[RecordRejected] = []
        gone: list[str] = []
        for obj in objects:
            try:
                record = self._map_one(entity, obj)
            except RecordRejected as exc:
                rejected.append(exc)
                continue
            if record is None:
                gone.append(str(obj.get("Id")))
            else:
                records.append(record)
        return records, rejected, gone

    def _map_one(self, entity: str, obj: Mapping[str, Any], location: str = ""
                 ) -> CanonicalRecord | None:
        ext = str(obj.get("Id")) if obj.get("Id") else None
        where = location or f"{QBO_NAMES[entity]} {ext or '(no Id)'}"
        try:
            return MAPPERS[entity](obj, self.name, self.home_currency)
        except ValidationError as exc:
            reason = explain_invalid(exc)
        except (MappingError, TypeError, AttributeError) as exc:
            reason = str(exc) or type(exc).__name__
        raise RecordRejected(reason, raw=dict(obj), location=where, entity=entity,
                             external_id=ext)

    def parse_raw(self, entity: str, raw: Mapping[str, Any], location: str = "") -> CanonicalRecord:
        record = self._map_one(entity, raw, location)
        if record is None:
            raise RecordRejected("this payment moves no money (credits only, or voided)",
                                 raw=dict(raw), location=location, entity=entity)
        return record
