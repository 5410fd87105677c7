"""Pushing customers and invoices to Stripe, each request under its own idempotency key.

A change from the hub's outbox carries one key; a change that takes several
requests derives one key per step from it (``<key>:create``,
``<key>:lines:0``, ``<key>:finalize``, ``<key>:pay``), so a change sent again
after a lost answer or a crash walks the same steps and Stripe replays every
one already done instead of doing it twice. Parameters are built from the
change alone (never from the clock or from what Stripe holds now), so a
step sent again is the same request.

- **customer**: create (name, e-mail, phone, the hub's references in
  metadata), update the same fields.
- **invoice** create: a ``send_invoice`` draft for the customer (resolved by
  the hub through its links, or a Stripe customer id in ``customer_ref``) in
  the invoice's currency, due on its due date (or ``days_until_due`` when it
  has none or it has passed: Stripe refuses a due date in the past), with the
  hub's source, id and number in metadata; then its lines (amounts in minor
  units by the currency's exponent; tax, which Stripe computes itself from
  tax rates, as one more line); then finalized unless it is a draft, and
  paid out of band when it is paid.
- **invoice** update: on a draft, everything (header fields, the lines
  replaced, then finalized or paid as the record says); once finalized, only
  what Stripe lets change (description, metadata): a change of lines,
  amounts, currency, customer or due date is rejected with what differs.
- **invoice** mark_paid: ``POST /v1/invoices/{id}/pay`` with
  ``paid_out_of_band=true`` (finalizing a draft first); already paid is
  unchanged.
- **invoice** apply (``billing-hub apply-payment``): the same request, under
  ``<key>:apply``, when the amount is all that the open invoice still owes.
  Stripe has no way to record part of an invoice as paid outside Stripe: a
  credit note lowers what was sold rather than recording cash, and a
  customer balance credit goes to the next invoice finalized, not to an open
  one; so a smaller amount is rejected with that reason. An invoice already
  paid is asked again all the same: Stripe replays the answer when the key is
  ours (a lost answer, a crash) and refuses ("already paid") when someone
  else paid it. The answer carries no id and no record: the next sync reads
  the paid invoice. unapply is rejected: Stripe never reopens a paid invoice.

Stripe's refusals (``invalid_request_error``, a card error, an
``idempotency_error``) are ``rejected`` results with Stripe's reason; 429s,
5xx and dropped connections are retried by :class:`StripeApi` and, when
they persist, raise :class:`StripeUnavailable` (a ``TransientError``) so the
outbox sends the change again later with the same key; a refused API key is
:class:`StripeRefused` (a ``FatalError``).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from hub import (
    CanonicalRecord,
    Customer,
    FieldChange,
    FieldOutcome,
    Invoice,
    InvoiceStatus,
    PushChange,
    PushOperation,
    PushResult,
    PushStatus,
    to_minor_units,
)
from plugins.stripe import invoice_fields as fields
from plugins.stripe.api import Obj, StripeApi, StripeRefused, StripeUnavailable

KEY_LIMIT = 255
"""Stripe's longest ``Idempotency-Key``."""
LINES_PER_REQUEST = 50
NOON = 12 * 3600
"""A due day is sent as noon UTC, so that it reads as the same day in every timezone."""
FINALIZED = ("open", "paid", "uncollectible", "void")
QUEUED_HINT = ("the change stays queued and goes again, with the same idempotency keys, at "
               "the next `billing-hub push send`")

T = TypeVar("T")
Mapper = Callable[[str, Obj], CanonicalRecord | None]
"""(entity, Stripe object) -> the canonical record, or None when it does not map."""


def step_key(key: str, step: str) -> str:
    """The idempotency key of one step of a change: ``<key>:<step>``, within 255 characters."""
    full = f"{key}:{step}"
    if len(full) <= KEY_LIMIT:
        return full
    digest = hashlib.blake2b(full.encode(), digest_size=20).hexdigest()
    return f"{key[:KEY_LIMIT - len(digest) - 1]}:{digest}"


class _Refused(Exception):
    """Stripe (or this connector) will not apply the change; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Conflict(Exception):
    """Someone changed in Stripe a field the change changes too: nothing is written."""

    def __init__(self, name: str, fields: Sequence[FieldChange]) -> None:
        self.fields = tuple(f for f in fields if f.outcome is FieldOutcome.CONFLICT)
        sides = "; ".join(f"{f.field}: base {f.base or '(none)'}, ours {f.ours or '(none)'}, "
                          f"theirs {f.theirs or '(none)'}" for f in self.fields)
        self.reason = (f"someone changed Stripe {name} since the hub last wrote it, in the same "
                       f"field(s) as this change ({sides}): nothing was sent")
        super().__init__(self.reason)


@dataclass(slots=True)
class _Step:
    """Where one change got to: the id of what it made, whether it changed anything, and
    the fields left as Stripe has them (a merge)."""

    created: str | None = None
    changed: bool = False
    kept: tuple[FieldChange, ...] = field(default_factory=tuple)


class StripePusher:
    """Applies :class:`PushChange`\\ s to one Stripe account, one after another."""

    def __init__(self, api: StripeApi, connector: str, mapper: Mapper, *,
                 days_until_due: int, clock: Callable[[], float] = time.time) -> None:
        self.api = api
        self.connector = connector
        self.mapper = mapper
        self.days_until_due = days_until_due
        self.clock = clock

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        """One result per change, in order; raises TransientError / FatalError as documented."""
        return [self._one(change) for change in changes]

    # ------------------------------------------------------------------ dispatch
    def _one(self, change: PushChange) -> PushResult:
        step = _Step()
        try:
            record = change.record
            if isinstance(record, Customer):
                obj = self._customer(change, record, step)
            elif isinstance(record, Invoice):
                obj = self._invoice(change, record, step)
            else:
                raise _Refused(f"the Stripe connector pushes customers and invoices, "
                               f"not {record.entity}s")
        except _Refused as exc:
            made = step.created if change.operation is PushOperation.CREATE else None
            return PushResult(change.idempotency_key, PushStatus.REJECTED, external_id=made,
                              reason=exc.reason)
        except _Conflict as exc:
            return PushResult(change.idempotency_key, PushStatus.CONFLICT,
                              external_id=change.target_id, reason=exc.reason,
                              fields=exc.fields)
        if change.operation is PushOperation.CREATE:
            status = PushStatus.CREATED
        else:
            status = PushStatus.UPDATED if step.changed else PushStatus.UNCHANGED
        if change.operation is PushOperation.APPLY:  # no payment object: a sync confirms it
            return PushResult(change.idempotency_key, status)
        return PushResult(change.idempotency_key, status, external_id=str(obj["id"]),
                          record=self._as_record(change.entity, obj), fields=step.kept)

    def _as_record(self, entity: str, obj: Obj) -> CanonicalRecord | None:
        """The object as the hub stores it; None when that needs a read Stripe refused."""
        try:
            return self._call(lambda: self.mapper(entity, obj))
        except _Refused:
            return None

    # ------------------------------------------------------------------ customers
    def _customer(self, change: PushChange, record: Customer, step: _Step) -> Obj:
        params: dict[str, Any] = {"name": record.name, "metadata": fields.metadata_of(record)}
        for name in ("email", "phone"):
            if getattr(record, name):
                params[name] = getattr(record, name)
        key = change.idempotency_key
        if change.operation is PushOperation.CREATE:
            obj = self._post("create customer", "/v1/customers", params, step_key(key, "create"))
            step.created = str(obj["id"])
            return obj
        if change.operation is PushOperation.UPDATE:
            target = self._target(change, "customer")
            current = self._retrieve("customers", target)
            compared = self._customer_fields(change, record, current)
            if any(f.outcome is FieldOutcome.CONFLICT for f in compared):
                raise _Conflict(f"customer {target}", compared)
            step.kept = _kept(compared)
            update = {f.field: params[f.field] for f in compared if f.written}
            if any((current.get("metadata") or {}).get(k) != v
                   for k, v in params["metadata"].items()):
                update["metadata"] = params["metadata"]
            if not update:
                return current
            step.changed = True
            return self._post("update customer", f"/v1/customers/{target}", update,
                              step_key(key, "update:" + ",".join(sorted(update))))
        raise _Refused(f"a customer cannot be {change.operation.value.replace('_', ' ')}")

    # ------------------------------------------------------------------ invoices
    def _invoice(self, change: PushChange, inv: Invoice, step: _Step) -> Obj:
        if change.operation is PushOperation.CREATE:
            return self._create_invoice(change, inv, step)
        target = self._target(change, "invoice")
        if change.operation is PushOperation.UNAPPLY:
            raise _Refused("Stripe cannot take back a payment recorded out of band: an invoice "
                           "it counts as paid is never reopened. Issue a credit note or a "
                           "refund in Stripe instead")
        current = self._retrieve("invoices", target)
        if change.operation is PushOperation.MARK_PAID:
            return self._mark_paid(change.idempotency_key, current, step)
        if change.operation is PushOperation.APPLY:
            return self._apply_payment(change, current, step)
        if current["status"] == "draft":
            return self._update_draft(change, inv, current, step)
        return self._update_finalized(change, inv, current, step)

    def _create_invoice(self, change: PushChange, inv: Invoice, step: _Step) -> Obj:
        if inv.status in (InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE):
            raise _Refused(f"invoice {inv.number} is {inv.status.value}: nothing is owed on it, "
                           "so it is not created in Stripe")
        key = change.idempotency_key
        params: dict[str, Any] = {
            "customer": self._customer_id(change, inv), "currency": inv.currency.lower(),
            "collection_method": "send_invoice", "auto_advance": False,
            "pending_invoice_items_behavior": "exclude", "metadata": fields.metadata_of(inv),
            **self._due(inv)}
        if inv.memo:
            params["description"] = inv.memo
        obj = self._post("create invoice", "/v1/invoices", params, step_key(key, "create"))
        step.created = str(obj["id"])
        obj = self._add_lines(key, str(obj["id"]), fields.lines_of(inv)) or obj
        return self._advance(key, obj, inv, step)

    def _update_draft(self, change: PushChange, inv: Invoice, current: Obj, step: _Step) -> Obj:
        key, target = change.idempotency_key, str(current["id"])
        self._same_party(change, inv, current)
        compared = {f.field: f for f in self._invoice_fields(change, inv, current)}
        if any(f.outcome is FieldOutcome.CONFLICT for f in compared.values()):
            raise _Conflict(f"invoice {current.get('number') or target}", list(compared.values()))
        step.kept = _kept(compared.values())
        header: dict[str, Any] = {}
        if compared["description"].written:
            header["description"] = inv.memo or ""
        due = self._due(inv)
        if "due_date" in compared and compared["due_date"].written:
            header["due_date"] = due["due_date"]
        wanted_meta = fields.metadata_of(inv)
        if any((current.get("metadata") or {}).get(k) != v for k, v in wanted_meta.items()):
            header["metadata"] = wanted_meta
        obj = current
        if header:
            obj = self._post("update invoice", f"/v1/invoices/{target}", header,
                             step_key(key, "update:" + ",".join(sorted(header))))
            step.changed = True
        wanted = fields.lines_of(inv)
        have = self._all_lines(current)
        if compared["lines"].written:
            if have:
                ids = [str(x["id"]) for x in have]
                digest = hashlib.blake2b(",".join(ids).encode(), digest_size=8).hexdigest()
                obj = self._post("remove invoice lines", f"/v1/invoices/{target}/remove_lines",
                                 {"lines": [{"id": i, "behavior": "delete"} for i in ids]},
                                 step_key(key, f"remove:{digest}"))
            obj = self._add_lines(key, target, wanted) or obj
            step.changed = True
        before = obj["status"]
        obj = self._advance(key, obj, inv, step)
        step.changed = step.changed or obj["status"] != before
        return obj

    def _update_finalized(self, change: PushChange, inv: Invoice, current: Obj,
                          step: _Step) -> Obj:
        self._same_party(change, inv, current)
        compared = self._invoice_fields(change, inv, current)
        if any(f.outcome is FieldOutcome.CONFLICT for f in compared):
            raise _Conflict(f"invoice {current.get('number') or current['id']}", compared)
        refusal = self._finalized_refusal(inv, current, compared)
        if refusal:
            raise _Refused(refusal)
        step.kept = _kept(compared)
        header: dict[str, Any] = {}
        if any(f.field == "description" and f.written for f in compared):
            header["description"] = inv.memo or ""
        wanted_meta = fields.metadata_of(inv)
        if any((current.get("metadata") or {}).get(k) != v for k, v in wanted_meta.items()):
            header["metadata"] = wanted_meta
        if not header:
            return current
        step.changed = True
        return self._post("update invoice", f"/v1/invoices/{current['id']}", header,
                          step_key(change.idempotency_key, "update:" + ",".join(sorted(header))))

    def _finalized_refusal(self, inv: Invoice, current: Obj, compared: Sequence[FieldChange]
                           ) -> str | None:
        """Why Stripe cannot take what the change writes to a finalized invoice, if it cannot."""
        if current["status"] == "draft":
            return None
        written = {f.field: f for f in compared if f.written}
        differences = []
        if "lines" in written:
            wanted = sum(int(x["amount"]) for x in fields.lines_of(inv))
            if wanted != int(current["total"]):
                differences.append(
                    f"total {fields.money_text(wanted, inv.currency)} here, "
                    f"{fields.money_text(int(current['total']), inv.currency)} in Stripe")
            else:
                differences.append("the lines")
        if "due_date" in written:
            differences.append(f"due date {inv.due_date} here, "
                               f"{written['due_date'].theirs or 'none'} in Stripe")
        if not differences:
            return None
        return (f"Stripe invoice {current.get('number') or current['id']} is "
                f"{current['status']}, and Stripe allows no change of amounts, lines or due "
                f"date once an invoice is finalized ({'; '.join(differences)}): void it in "
                f"Stripe and unlink it (`billing-hub unlink`) to have the invoice created "
                f"again, or issue a credit note")

    # ------------------------------------------------------------------ three ways
    def _customer_fields(self, change: PushChange, record: Customer, current: Obj
                         ) -> list[FieldChange]:
        base = change.base if isinstance(change.base, Customer) else None
        return [FieldChange.decide(
            name, ours=getattr(record, name) or None, theirs=current.get(name) or None,
            base=(getattr(base, name) or None) if base is not None else None,
            has_base=base is not None, overrule=change.overrule)
            for name in ("name", "email", "phone")]

    def _invoice_fields(self, change: PushChange, inv: Invoice, current: Obj
                        ) -> list[FieldChange]:
        """The lines, the due date (while it is ahead) and the description, three ways."""
        base = change.base if isinstance(change.base, Invoice) else None
        has = base is not None
        cur = inv.currency

        def lines(shapes: Iterable[tuple[int, str]]) -> str | None:
            return "; ".join(f"{d or '(no description)'} {fields.money_text(a, cur)}"
                             for a, d in shapes) or None

        out = [FieldChange.decide(
            "lines", ours=lines(fields.wanted_shape(x) for x in fields.lines_of(inv)),
            theirs=lines(fields.line_shape(x) for x in self._all_lines(current)),
            base=lines(fields.wanted_shape(x) for x in fields.lines_of(base)) if base else None,
            has_base=has, overrule=change.overrule)]
        if "due_date" in self._due(inv):
            theirs_due = fields.day_of(current.get("due_date"))
            out.append(FieldChange.decide(
                "due_date", ours=str(inv.due_date), theirs=str(theirs_due) if theirs_due else None,
                base=str(base.due_date) if base is not None and base.due_date else None,
                has_base=has, overrule=change.overrule))
        out.append(FieldChange.decide(
            "description", ours=inv.memo or None, theirs=current.get("description") or None,
            base=(base.memo or None) if base is not None else None, has_base=has,
            overrule=change.overrule))
        return out

    # ------------------------------------------------------------------ preview
    def preview(self, changes: Sequence[PushChange]) -> list[PushResult]:
        """What :meth:`push` would do with each change, read from Stripe; nothing written."""
        return [self._preview(change) for change in changes]

    def _preview(self, change: PushChange) -> PushResult:
        key, op, record = change.idempotency_key, change.operation, change.record
        try:
            if op is PushOperation.CREATE:
                return PushResult(key, PushStatus.CREATED,
                                  fields=self._created_fields(change, record))
            if not isinstance(record, Customer | Invoice):
                raise _Refused(f"the Stripe connector pushes customers and invoices, "
                               f"not {record.entity}s")
            resource = "customers" if isinstance(record, Customer) else "invoices"
            current = self._retrieve(resource, self._target(change, record.entity))
            if isinstance(record, Customer):
                compared = self._customer_fields(change, record, current)
            elif op is PushOperation.UPDATE:
                compared = self._invoice_fields(change, record, current)
                refusal = self._finalized_refusal(record, current, compared)
                if refusal and not any(f.outcome is FieldOutcome.CONFLICT for f in compared):
                    return PushResult(key, PushStatus.REJECTED, reason=refusal,
                                      external_id=change.target_id, fields=tuple(compared))
            else:
                return self._payment_preview(change, current)
        except _Refused as exc:
            return PushResult(key, PushStatus.REJECTED, reason=exc.reason)
        if any(f.outcome is FieldOutcome.CONFLICT for f in compared):
            status = PushStatus.CONFLICT
        else:
            status = (PushStatus.UPDATED if any(f.written for f in compared)
                      else PushStatus.UNCHANGED)
        return PushResult(key, status, external_id=change.target_id, fields=tuple(compared))

    def _created_fields(self, change: PushChange, record: CanonicalRecord
                        ) -> tuple[FieldChange, ...]:
        if isinstance(record, Customer):
            return tuple(FieldChange(n, ours=getattr(record, n) or None, theirs=None)
                         for n in ("name", "email", "phone") if getattr(record, n))
        if not isinstance(record, Invoice):
            raise _Refused(f"the Stripe connector pushes customers and invoices, "
                           f"not {record.entity}s")
        customer = self._customer_id(change, record)
        made = [FieldChange("customer", ours=customer, theirs=None),
                FieldChange("currency", ours=record.currency, theirs=None)]
        made += [f for f in self._invoice_fields(replace(change, base=None), record, {})
                 if f.ours is not None]
        return tuple(made)

    def _payment_preview(self, change: PushChange, current: Obj) -> PushResult:
        key, cur = change.idempotency_key, str(current.get("currency", "")).upper()
        owed = int(current.get("amount_remaining") or 0)
        if change.operation is PushOperation.UNAPPLY:
            return PushResult(key, PushStatus.REJECTED,
                              reason="Stripe cannot take back a payment recorded out of band")
        after = 0
        if change.operation is PushOperation.APPLY and change.application is not None:
            after = owed - to_minor_units(change.application.amount, change.application.currency)
        status = current["status"]
        fields_ = (FieldChange("status", ours="paid" if after == 0 else status, theirs=status),
                   FieldChange("amount_remaining", ours=fields.money_text(after, cur),
                               theirs=fields.money_text(owed, cur)))
        if change.operation is PushOperation.APPLY and after != 0:
            return PushResult(key, PushStatus.REJECTED, fields=fields_,
                              reason="Stripe records money received outside Stripe only for "
                                     "all that an invoice still owes")
        done = status == "paid"
        return PushResult(key, PushStatus.UNCHANGED if done else PushStatus.UPDATED,
                          external_id=change.target_id, fields=fields_)

    def _mark_paid(self, key: str, current: Obj, step: _Step) -> Obj:
        status = current["status"]
        if status == "paid":
            return current
        if status == "void":
            raise _Refused(f"Stripe invoice {current.get('number') or current['id']} is void: "
                           "there is nothing to mark paid")
        obj = current
        if status == "draft":
            obj = self._post("finalize invoice", f"/v1/invoices/{current['id']}/finalize", {},
                             step_key(key, "finalize"))
        if obj["status"] != "paid":
            obj = self._post("pay invoice out of band", f"/v1/invoices/{current['id']}/pay",
                             {"paid_out_of_band": True}, step_key(key, "pay"))
        step.changed = True
        return obj

    def _apply_payment(self, change: PushChange, current: Obj, step: _Step) -> Obj:
        """Money received outside Stripe for the whole of what an open invoice still owes:
        ``POST /v1/invoices/{id}/pay`` with ``paid_out_of_band=true``."""
        app = change.application
        if app is None:
            raise _Refused("applying a payment needs the amount")
        status, name = current["status"], current.get("number") or current["id"]
        if status in ("open", "uncollectible"):
            amount = to_minor_units(app.amount, app.currency)
            owed = int(current.get("amount_remaining") or 0)
            if str(current.get("currency", "")).upper() != app.currency:
                raise _Refused(f"Stripe invoice {name} is in "
                               f"{str(current.get('currency')).upper()}, the payment in "
                               f"{app.currency}")
            if amount != owed:
                raise _Refused(
                    f"Stripe records money received outside Stripe only for all that an "
                    f"invoice still owes ({fields.money_text(owed, app.currency)} on {name}), "
                    f"not {fields.money_text(amount, app.currency)}: apply the whole balance, "
                    "or record the part payment in Stripe by hand")
        elif status != "paid":  # paid: our own earlier request (replayed) or someone else's
            raise _Refused(f"Stripe invoice {name} is {status}: only an open invoice can be "
                           "paid")
        step.changed = True
        return self._post("pay invoice out of band", f"/v1/invoices/{current['id']}/pay",
                          {"paid_out_of_band": True},
                          step_key(change.idempotency_key, "apply"))

    def _advance(self, key: str, obj: Obj, inv: Invoice, step: _Step) -> Obj:
        """Finalize a draft unless the record is one; pay it out of band when it is paid."""
        if inv.status is InvoiceStatus.DRAFT or obj["status"] != "draft":
            return obj
        obj = self._post("finalize invoice", f"/v1/invoices/{obj['id']}/finalize", {},
                         step_key(key, "finalize"))
        if inv.status is InvoiceStatus.PAID and obj["status"] == "open":
            obj = self._post("pay invoice out of band", f"/v1/invoices/{obj['id']}/pay",
                             {"paid_out_of_band": True}, step_key(key, "pay"))
        return obj

    def _add_lines(self, key: str, invoice_id: str, lines: list[dict[str, Any]]) -> Obj | None:
        obj = None
        for start in range(0, len(lines), LINES_PER_REQUEST):
            obj = self._post("add invoice lines", f"/v1/invoices/{invoice_id}/add_lines",
                             {"lines": lines[start:start + LINES_PER_REQUEST]},
                             step_key(key, f"lines:{start // LINES_PER_REQUEST}"))
        return obj

    # ------------------------------------------------------------------ helpers
    def _due(self, inv: Invoice) -> dict[str, int]:
        """``due_date`` (noon UTC of the due day) while it is ahead, else ``days_until_due``."""
        if inv.due_date is not None:
            stamp = int(datetime(inv.due_date.year, inv.due_date.month, inv.due_date.day,
                                 tzinfo=UTC).timestamp()) + NOON
            if stamp > self.clock():
                return {"due_date": stamp}
        return {"days_until_due": self.days_until_due}

    def _customer_id(self, change: PushChange, inv: Invoice) -> str:
        found = change.references.get("customer")
        if found:
            return found
        if inv.customer_ref and inv.customer_ref.startswith("cus_"):
            return inv.customer_ref
        who = inv.customer_name or inv.customer_ref or "(no customer)"
        raise _Refused(f"invoice {inv.number}'s customer {who} is not in Stripe yet: push the "
                       "customer first (`billing-hub push queue --entity customer`), or link it "
                       "to its Stripe customer (`billing-hub link`)")

    def _same_party(self, change: PushChange, inv: Invoice, current: Obj) -> None:
        if str(current.get("currency", "")).upper() != inv.currency:
            raise _Refused(f"Stripe invoice {current['id']} is in "
                           f"{str(current.get('currency')).upper()}, the record in "
                           f"{inv.currency}: Stripe cannot change an invoice's currency")
        customer = change.references.get("customer")
        held = current.get("customer")
        if customer and isinstance(held, str) and held != customer:
            raise _Refused(f"Stripe invoice {current['id']} belongs to customer {held}, the "
                           f"record to {customer}: Stripe cannot move an invoice to another "
                           "customer")

    def _target(self, change: PushChange, entity: str) -> str:
        if not change.target_id:
            raise _Refused(f"no Stripe {entity} to {change.operation.value.replace('_', ' ')}: "
                           "the hub knows of no link to one")
        return change.target_id

    def _all_lines(self, invoice: Obj) -> list[Obj]:
        lines = invoice.get("lines") or {}
        if lines.get("has_more"):
            return self._call(lambda: self.api.lines("invoices", str(invoice["id"])))
        return list(lines.get("data") or [])

    def _retrieve(self, resource: str, object_id: str) -> Obj:
        try:
            return self._call(lambda: self.api.retrieve(resource, object_id))
        except _Refused as exc:
            raise _Refused(f"Stripe has no {resource[:-1]} {object_id} any more ({exc.reason}): "
                           "unlink it (`billing-hub unlink`) to have it created again") from None

    def _post(self, label: str, path: str, params: Mapping[str, Any], key: str) -> Obj:
        return self._call(lambda: self.api.post(label, path, params, idempotency_key=key))

    def _call(self, request: Callable[[], T]) -> T:
        """``request()``; Stripe's refusals of the change as :class:`_Refused`.

        :class:`StripeUnavailable` and :class:`StripeRefused` go on as they are
        (a :class:`TransientError` and a :class:`FatalError`), naming this
        connector; the first on one line, saying that the change stays queued.
        """
        try:
            return request()
        except StripeUnavailable as exc:
            raise StripeUnavailable(_one_line(exc.label), exc.tries, _one_line(exc.reason),
                                    connector=self.connector, hint=QUEUED_HINT) from None
        except StripeRefused as exc:
            raise StripeRefused(exc.message, connector=self.connector, hint=exc.hint) from None
        except stripe.IdempotencyError as exc:
            raise _Refused(
                "Stripe refused a request whose idempotency key was used before with "
                "different parameters (the change was altered after it was first sent): "
                f"{_message(exc)}") from None
        except stripe.StripeError as exc:
            raise _Refused(f"Stripe refused it: {_message(exc)}") from None


# ---------------------------------------------------------------------- pure helpers
def _kept(compared: Iterable[FieldChange]) -> tuple[FieldChange, ...]:
    return tuple(f for f in compared if f.outcome is FieldOutcome.KEPT_THEIRS)


def _one_line(text: str) -> str:
    """``text`` with each run of white space (the SDK wraps its messages) as one space."""
    return re.sub(r"\s+", " ", text)


def _message(exc: stripe.StripeError) -> str:
    error = getattr(exc, "error", None)
    text = getattr(error, "message", None) or exc.user_message or str(exc)
    param = getattr(error, "param", None)
    return f"{text} (parameter {param})" if param else str(text)
