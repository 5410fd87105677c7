"""The Stripe connector: pulls an account's customers, invoices, payments, refunds,
credit notes, payouts and disputes into canonical records, and pushes customers and invoices
to it (:mod:`plugins.stripe.push`).

A first sync reads every object, slice by slice of creation time and
``concurrency`` requests at a time (:mod:`plugins.stripe.slices`); the next
ones read only what the Events API says changed since (:mod:`plugins.stripe.events`),
and fall back to a full read when the cursor is older than Stripe keeps events.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import stripe

from hub import (
    CanonicalRecord,
    CheckResult,
    Connector,
    ConnectorContext,
    InvoiceDelivery,
    Page,
    PushChange,
    PushResult,
    RecordRejected,
    ReplayGuard,
    SendReceipt,
    WebhookDelivery,
    WebhookReceipt,
    WebhookSignatureError,
)
from plugins.stripe import mapping, places, slices, webhooks
from plugins.stripe.api import Obj, StripeApi, StripeUnavailable
from plugins.stripe.config import StripeConfig
from plugins.stripe.cursor import StripeCursor
from plugins.stripe.events import EventCursor, unique_ids
from plugins.stripe.events import read as read_events
from plugins.stripe.push import StripePusher
from plugins.stripe.sending import send

RESOURCES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "customer": ("customers", "customer", {}),
    "invoice": ("invoices", "invoice", {}),
    "payment": ("charges", "charge", {"expand": ["data.balance_transaction"]}),
    "refund": ("refunds", "refund", {}),
    "credit_note": ("credit_notes", "credit_note", {}),
    "payout": ("payouts", "payout", {}),
    "dispute": ("disputes", "dispute", {"expand": ["data.charge"]}),
}
"""entity -> (list endpoint, Stripe object type, list parameters)."""

EVENT_MARGIN = 300
"""With no event to read Stripe's time from, events are read from this long before ours."""
RETENTION_SAFETY = 3600
CHANGED_PAGE = 100


class StripeConnector(Connector):
    """One Stripe account (``[connectors.NAME]`` with ``type = "stripe"``)."""

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        assert isinstance(context.config, StripeConfig)
        self.config: StripeConfig = context.config
        self.api = StripeApi(self.config)
        self._paid_by_intent: dict[str, list[tuple[str, int]]] | None = None
        self._pusher = StripePusher(self.api, self.name, self._mapped,
                                    days_until_due=self.config.days_until_due)

    def entities(self) -> Sequence[str]:
        return list(self.config.entities)

    def close(self) -> None:
        self.api.close()

    def check(self) -> CheckResult:
        """One object of each configured entity listed with the key: the key is accepted and
        may read them. A refused key raises StripeRefused with what to do."""
        for entity in self.entities():
            resource = RESOURCES[entity][0]
            try:
                self.api.list_page(resource, {"limit": 1})
            except StripeUnavailable as exc:
                where = self.config.api_base or "api.stripe.com"
                return CheckResult.failed(
                    f"Stripe at {where} did not answer {exc.label} after {exc.tries} tries "
                    f"({' '.join(exc.reason.split())})",
                    hint="check the network and `api_base` (leave it out for Stripe itself); "
                         "https://status.stripe.com says whether Stripe is down")
        return CheckResult.passed(f"the API key may read {', '.join(self.entities())}")

    def verify_webhook(self, delivery: WebhookDelivery, replays: ReplayGuard) -> WebhookReceipt:
        """A Stripe delivery checked against ``webhook_secret`` (see :mod:`.webhooks`)."""
        if self.config.webhook_secret is None:
            raise WebhookSignatureError(
                "no webhook_secret is configured, so no delivery can be verified",
                connector=self.name,
                hint="set webhook_secret = \"env:NAME\" to the endpoint's signing secret")
        return webhooks.verify(delivery, replays,
                               secret=self.config.webhook_secret.get_secret_value(),
                               tolerance=self.config.webhook_tolerance_seconds)

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        """Create and update customers and invoices (see :mod:`plugins.stripe.push`)."""
        return self._pusher.push(changes)

    def preview(self, changes: Sequence[PushChange]) -> list[PushResult]:
        """What :meth:`push` would do, read from Stripe, writing nothing."""
        return self._pusher.preview(changes)

    def send_invoice(self, delivery: InvoiceDelivery) -> SendReceipt:
        """Finalize the invoice when it is a draft, then have Stripe e-mail it (:mod:`.sending`)."""
        return send(self.api, self.name, delivery)

    def _mapped(self, entity: str, obj: Obj) -> CanonicalRecord | None:
        found = self._map_one(entity, obj, self.name, full=False)
        return found if isinstance(found, CanonicalRecord) else None

    # ------------------------------------------------------------------ pulling
    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        saved = StripeCursor.load(cursor)
        if saved is not None and saved.mode == "events":
            assert saved.since is not None
            kept = self.config.events_retention_days * 86_400 - RETENTION_SAFETY
            if time.time() - saved.since < kept:
                yield from self._changes(entity, EventCursor(saved.since, list(saved.seen)))
                return
            saved = None  # Stripe no longer has the events we would need: read everything
        yield from self._everything(entity, saved)

    def _everything(self, entity: str, saved: StripeCursor | None) -> Iterator[Page]:
        resource, _, base = RESOURCES[entity]
        if saved is not None:
            assert saved.anchor is not None
            anchor, seen = saved.anchor, list(saved.seen)
        else:
            anchor, seen = self._newest_event()
        resume = saved.read_slices() if saved else None
        since = (int(datetime(self.config.since.year, self.config.since.month,
                              self.config.since.day, tzinfo=UTC).timestamp())
                 if self.config.since else None)
        self._paid_by_intent = None
        batch: list[Obj] = []
        read = 0
        for part in slices.read(self.api, resource, base, workers=self.config.concurrency,
                                since=since, resume=resume, limit=self.config.list_limit):
            batch.extend(part.objects)
            read += len(part.objects)
            finished = all(s.done for s in part.slices)
            if len(batch) < self.config.page_size and not finished:
                continue  # a few of Stripe's pages make one page (one transaction) of ours
            after = (StripeCursor.events(anchor, seen) if finished
                     else StripeCursor.full(anchor, seen, part.slices))
            records, rejected = self._map(entity, batch, full=True)
            batch = []
            total = (read if finished else
                     max(read, part.estimate) if part.estimate is not None else None)
            yield Page(records, rejected, cursor=after,
                       locations=self._locations(entity, resource, records),
                       progress=(read, total) if total else None)

    def _locations(self, entity: str, resource: str, records: Sequence[CanonicalRecord]
                   ) -> dict[str, str]:
        return {r.external_id: places.location(self.config, entity, resource, r)
                for r in records}

    def _newest_event(self) -> tuple[int, list[str]]:
        """Where the events after a full read begin: Stripe's newest event before it.

        Stripe's own clock, not ours: a change made while the read runs is an
        event at or after that second, and the next sync reads it.
        """
        newest, _ = self.api.list_page("events", {"limit": 100})
        if not newest:
            return int(time.time()) - EVENT_MARGIN, []
        second = int(newest[0]["created"])
        return second, sorted(str(e["id"]) for e in newest if int(e["created"]) == second)

    def _changes(self, entity: str, cursor: EventCursor) -> Iterator[Page]:
        resource, object_type, base = RESOURCES[entity]
        found = read_events(self.api, entity, cursor)
        ids = unique_ids(found.objects, object_type)
        if entity == "payment":  # an invoice paid later changes its charge's applications
            intents = dict.fromkeys(
                intent for o in found.objects if o.get("object") == "invoice_payment"
                if (intent := mapping.id_of((o.get("payment") or {}).get("payment_intent"))))
            for intent in intents:
                ids.extend(c["id"] for c in self.api.list_all("charges",
                                                              {"payment_intent": intent})
                           if c["id"] not in ids)
        expand = [e.removeprefix("data.") for e in base.get("expand", [])]
        objects: list[Obj] = []
        gone: list[str] = []  # deleted since: the hub marks them deleted with the last page
        for obj_id in ids:
            obj = self._reread(resource, obj_id, expand)
            if obj is None:
                gone.append(obj_id)
            else:
                objects.append(obj)
        for start in range(0, max(len(objects), 1), CHANGED_PAGE):
            chunk = objects[start:start + CHANGED_PAGE]
            records, rejected = self._map(entity, chunk, full=False)
            last = start + CHANGED_PAGE >= len(objects)
            yield Page(records, rejected,
                       cursor=StripeCursor.events(found.cursor.since, found.cursor.seen)
                       if last else None,
                       locations=self._locations(entity, resource, records),
                       deleted=gone if last else ())

    def _reread(self, resource: str, obj_id: str, expand: list[str]) -> Obj | None:
        try:
            obj = self.api.retrieve(resource, obj_id, {"expand": expand} if expand else None)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None  # deleted since the event
            raise
        return None if obj.get("deleted") else obj

    def parse_raw(self, entity: str, raw: Mapping[str, Any], location: str = "") -> CanonicalRecord:
        """Map a stored Stripe object again (``billing-hub quarantine retry``).

        What the object alone does not say is read from Stripe as an
        incremental sync would: a charge's invoice payments, a payout's
        balance transactions, an invoice's lines beyond the first page.
        """
        if entity not in RESOURCES:
            raise RecordRejected(f"the Stripe connector does not pull {entity!r}",
                                 raw=dict(raw), location=location, entity=entity)
        result = self._map_one(entity, dict(raw), self.name, full=False)
        if result is None:
            raise RecordRejected(
                "this charge is not money received (not captured, failed or pending capture)",
                raw=dict(raw), location=location, entity=entity,
                external_id=mapping.id_of(raw.get("id")))
        if isinstance(result, RecordRejected):
            raise result
        return result

    # ------------------------------------------------------------------ mapping
    def _map(self, entity: str, objects: Sequence[Obj], *, full: bool
             ) -> tuple[list[CanonicalRecord], list[RecordRejected]]:
        records: list[CanonicalRecord] = []
        rejected: list[RecordRejected] = []
        source = self.name
        for obj in objects:
            result = self._map_one(entity, obj, source, full)
            if result is None:
                continue
            if isinstance(result, RecordRejected):
                rejected.append(result)
            else:
                records.append(result)
        return records, rejected

    def _map_one(self, entity: str, obj: Obj, source: str, full: bool
                 ) -> CanonicalRecord | RecordRejected | None:
        if entity == "customer":
            return mapping.mapped(entity, mapping.customer, obj, source)
        if entity == "invoice":
            lines = (self.api.lines("invoices", obj["id"])
                     if (obj.get("lines") or {}).get("has_more") else None)
            return mapping.mapped(entity, mapping.invoice, obj, source, lines)
        if entity == "payment":
            if not mapping.is_payment(obj):
                return None  # authorised only, failed or pending capture: no money received
            return mapping.mapped(entity, mapping.payment, obj, source,
                                  self._applications(obj, full))
        if entity == "refund":
            return mapping.mapped(entity, mapping.refund, obj, source)
        if entity == "credit_note":
            lines = (self.api.lines("credit_notes", obj["id"])
                     if (obj.get("lines") or {}).get("has_more") else None)
            return mapping.mapped(entity, mapping.credit_note, obj, source, lines)
        if entity == "payout":
            settled = (self.api.list_all("balance_transactions", {
                "payout": obj["id"], "expand": ["data.source"]}) if obj.get("automatic") else [])
            return mapping.mapped(entity, mapping.payout, obj, source, settled)
        if entity == "dispute":
            return mapping.mapped(entity, mapping.dispute, obj, source, self._invoice_of(obj))
        raise ValueError(f"the Stripe connector does not pull {entity!r}")

    def _invoice_of(self, dispute: Obj) -> Obj | None:
        """The invoice the disputed charge paid (its payment intent's paid invoice payment)."""
        charge = dispute.get("charge")
        intent = mapping.id_of(dispute.get("payment_intent")) or (
            mapping.id_of(charge.get("payment_intent")) if isinstance(charge, Mapping) else None)
        if intent is None:
            return None
        rows, _ = self.api.list_page("invoice_payments", {
            "status": "paid", "payment": {"type": "payment_intent", "payment_intent": intent},
            "expand": ["data.invoice"], "limit": 10})
        for row in rows:
            invoice = row.get("invoice")
            if isinstance(invoice, Mapping):
                return dict(invoice)
        return None

    def _applications(self, charge: Obj, full: bool) -> list[tuple[str, int]]:
        """(invoice id, amount) the charge's payment intent paid, from invoice payments."""
        intent = mapping.id_of(charge.get("payment_intent"))
        if intent is None:
            return []
        if full:
            if self._paid_by_intent is None:
                self._paid_by_intent = self._invoice_payments()
            return self._paid_by_intent.get(intent, [])
        rows = self.api.list_all("invoice_payments", {
            "status": "paid", "payment": {"type": "payment_intent", "payment_intent": intent}})
        return _paid(rows).get(intent, [])

    def _invoice_payments(self) -> dict[str, list[tuple[str, int]]]:
        rows: list[Obj] = []
        for part in slices.read(self.api, "invoice_payments", {"status": "paid"},
                                workers=self.config.concurrency):
            rows.extend(part.objects)
        return _paid(rows)


def _paid(rows: Sequence[Obj]) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        payment = row.get("payment") or {}
        intent = mapping.id_of(payment.get("payment_intent"))
        invoice = mapping.id_of(row.get("invoice"))
        amount = row.get("amount_paid")
        if row.get("status") == "paid" and intent and invoice and isinstance(amount, int):
            out.setdefault(intent, []).append((invoice, amount))
    return out
