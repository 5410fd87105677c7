"""Pushing customers and invoices to QuickBooks Online, each write under a ``requestid``.

A change from the hub's outbox carries one idempotency key; each write it
makes is sent with a ``requestid`` derived from it (``<key>:c`` to create,
``<key>:u1`` to update, ``<key>:pay`` to record a payment, ``<key>:apply``
to apply one; at most 50
characters), and QuickBooks answers a repeated requestid with its first
answer: a change sent again after a lost answer or a crash between
QuickBooks' answer and the outbox's commit makes nothing twice. Bodies are
built from the change alone, amounts written from their decimal digits.

- **customer**: create (``DisplayName`` from the name, which QuickBooks
  requires to be unique: a clash is rejected with QuickBooks' reason; email,
  phone, currency; the hub's source and id in ``Notes``); update the same
  fields (read first for the ``SyncToken``; a stale one is read again once).
- **invoice** create: for the customer the hub linked (``references``), or the
  one QuickBooks holds under the invoice's customer name; ``DocNumber`` the
  invoice's number (QuickBooks allows 21 characters), dates, currency, and
  its lines as ``SalesItemLineDetail`` on the item named by ``push_item``
  (QuickBooks needs an item on every sales line), a negative line as a
  discount, the tax as one more line (QuickBooks computes tax from tax codes,
  which the hub does not know), the hub's source and id in ``PrivateNote``.
  Update: the same fields and lines, sparse, on the invoice as read (the
  private note and a customer's notes are written on create only: people
  keep their own notes there).
- **invoice** mark_paid: a ``Payment`` of the invoice's balance applied to it,
  noted as recorded by billing-hub; an invoice with nothing owed is unchanged.
- **invoice** apply (``billing-hub apply-payment``): the amount as a
  ``LinkedTxn`` line of a ``Payment``. Money QuickBooks already holds as a
  payment (the receipt is a QuickBooks payment, or an earlier application of
  the same receipt made one) gets the line added to that payment, read first
  for its ``SyncToken`` (``requestid`` ``<key>:apply1``, ``:apply2`` after a
  stale one); money received elsewhere (a bank line, another system) becomes
  a new ``Payment`` of the amount for the invoice's customer, dated the day
  it was received, with the bank's reference (``<key>:apply``); a later
  application of the same money adds its line and grows that payment's total. QuickBooks
  refuses more than the invoice's balance and another customer's invoice,
  and says so. unapply: the line shrinks by the amount, or goes
  (``<key>:un1``); the money stays on the payment, unapplied. The answer is
  the payment's id; the hub stores nothing of it until the next sync.

QuickBooks' refusals (a validation fault, :class:`QuickBooksRefused`) are
``rejected`` results with its reason; 429s, 5xx and dropped connections are
retried by :class:`QuickBooksApi` and, when they persist, raise
:class:`QuickBooksUnavailable`, a ``TransientError``; a refused sign-in is
:class:`SignInRefused`, a ``FatalError``. Both go on to the outbox as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hub import (
    CanonicalRecord,
    Customer,
    FieldChange,
    FieldOutcome,
    Invoice,
    PushChange,
    PushOperation,
    PushResult,
    PushStatus,
)
from plugins.quickbooks.api import Obj, QuickBooksApi, QuickBooksRefused, SignInRefused
from plugins.quickbooks.reading import quoted

REQUEST_ID_LIMIT = 50
DOC_NUMBER_LIMIT = 21
PAYMENT_REF_LIMIT = 21
STALE = 5010
OURS_ON_CREATE = ("Notes", "PrivateNote")
"""Written when the hub creates a record, left alone by updates: people add to them."""
UPDATABLE = {
    "Customer": ("DisplayName", "PrimaryEmailAddr", "PrimaryPhone", "CurrencyRef"),
    "Invoice": ("CustomerRef", "DocNumber", "TxnDate", "DueDate", "CurrencyRef", "Line"),
}
"""The fields an update writes, each compared on its own with base and theirs."""
UPDATE_TRIES = 3
"""Reads and writes of one update when QuickBooks answers that the object changed between
them (a stale ``SyncToken``): each try decides again on what it read."""

Mapper = Callable[[str, Obj], CanonicalRecord | None]
"""(entity, QuickBooks object) -> the canonical record, or None."""


def request_id(key: str, step: str) -> str:
    """The ``requestid`` of one write of a change, within QuickBooks' 50 characters."""
    full = f"{key}:{step}"
    if len(full) <= REQUEST_ID_LIMIT:
        return full
    return "bh-" + hashlib.blake2b(full.encode(), digest_size=20).hexdigest()[:46]


class _Refused(Exception):
    """The change cannot be applied; ``reason`` says why, for a coordinator."""

    def __init__(self, reason: str, external_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.external_id = external_id


def _note(record: CanonicalRecord) -> str:
    return f"billing-hub: {record.source} {record.external_id}"


class Pusher:
    """Applies outbox changes to one QuickBooks company."""

    def __init__(self, api: QuickBooksApi, mapper: Mapper, push_item: str) -> None:
        self.api = api
        self.mapper = mapper
        self.push_item = push_item
        self._item_id: str | None = None

    def push(self, changes: Sequence[PushChange]) -> list[PushResult]:
        results: list[PushResult] = []
        for change in changes:
            try:
                results.append(self._apply(change))
            except _Refused as refused:
                results.append(PushResult(change.idempotency_key, PushStatus.REJECTED,
                                          external_id=refused.external_id,
                                          reason=refused.reason))
            except SignInRefused:
                raise  # a FatalError: no change can go until a person connects the company
            except QuickBooksRefused as exc:
                results.append(PushResult(change.idempotency_key, PushStatus.REJECTED,
                                          external_id=change.target_id, reason=exc.message))
        return results  # QuickBooksUnavailable, a TransientError, goes on to the outbox

    # ------------------------------------------------------------------ changes
    def _apply(self, change: PushChange) -> PushResult:
        record = change.record
        if change.operation is PushOperation.MARK_PAID:
            return self._mark_paid(change)
        if change.operation in (PushOperation.APPLY, PushOperation.UNAPPLY):
            return self._application(change)
        name = {"customer": "Customer", "invoice": "Invoice"}.get(record.entity)
        if name is None:
            raise _Refused(f"the QuickBooks connector does not push {record.entity} records")
        body = self._body(change)
        if change.operation is PushOperation.CREATE:
            made = self.api.write(name, body, request_id(change.idempotency_key, "c"))
            return self._result(change, PushStatus.CREATED, made)
        if change.target_id is None:
            raise _Refused("an update needs the QuickBooks id of the record")
        for attempt in range(1, UPDATE_TRIES + 1):
            current = self.api.read(name, change.target_id)
            fields = self._compare(change, name, body, current)
            conflicts = tuple(f for f in fields if f.outcome is FieldOutcome.CONFLICT)
            if conflicts:
                return PushResult(change.idempotency_key, PushStatus.CONFLICT,
                                  external_id=change.target_id, fields=conflicts,
                                  reason=_conflict_reason(name, conflicts))
            kept = tuple(f for f in fields if f.outcome is FieldOutcome.KEPT_THEIRS)
            written = [f.field for f in fields if f.written]
            if not written:
                return self._result(change, PushStatus.UNCHANGED, current, kept)
            update = {k: body[k] for k in written}
            update.update(Id=change.target_id, SyncToken=current["SyncToken"], sparse=True)
            try:
                done = self.api.write(name, update,
                                      request_id(change.idempotency_key, f"u{attempt}"))
            except QuickBooksRefused as exc:
                if exc.code == STALE and attempt < UPDATE_TRIES:
                    continue  # changed between our read and our write: decide again
                raise
            return self._result(change, PushStatus.UPDATED, done, kept)
        raise AssertionError("unreachable")

    def _compare(self, change: PushChange, name: str, body: Obj, current: Obj
                 ) -> list[FieldChange]:
        """Each field the update writes, base (what ``change.base`` wrote), ours and theirs."""
        base: Obj = {}
        if change.base is not None:
            base = self._body(replace(change, record=change.base))
        return [FieldChange.decide(key, ours=_text(key, body[key]),
                                   theirs=_text(key, current.get(key)),
                                   base=_text(key, base.get(key)),
                                   has_base=change.base is not None, overrule=change.overrule)
                for key in UPDATABLE[name] if key in body]

    def _body(self, change: PushChange) -> Obj:
        record = change.record
        return (self._customer_body(record) if isinstance(record, Customer)
                else self._invoice_body(change))

    # ------------------------------------------------------------------ preview
    def preview(self, changes: Sequence[PushChange]) -> list[PushResult]:
        """What :meth:`push` would do with each change, read from QuickBooks; no write."""
        results: list[PushResult] = []
        for change in changes:
            try:
                results.append(self._preview(change))
            except _Refused as refused:
                results.append(PushResult(change.idempotency_key, PushStatus.REJECTED,
                                          reason=refused.reason))
            except SignInRefused:
                raise
            except QuickBooksRefused as exc:
                results.append(PushResult(change.idempotency_key, PushStatus.REJECTED,
                                          reason=exc.message))
        return results

    def _preview(self, change: PushChange) -> PushResult:
        key, op = change.idempotency_key, change.operation
        if op in (PushOperation.MARK_PAID, PushOperation.APPLY, PushOperation.UNAPPLY):
            if change.target_id is None:
                raise _Refused("the invoice has no QuickBooks id")
            invoice = self.api.read("Invoice", change.target_id)
            balance = Decimal(str(invoice.get("Balance") or 0))
            if op is PushOperation.MARK_PAID:
                after = Decimal(0)
            else:
                amount = change.application.amount if change.application else Decimal(0)
                after = balance - amount if op is PushOperation.APPLY else balance + amount
            fields = (FieldChange("Balance", ours=_amount(after), theirs=_amount(balance)),)
            status = PushStatus.UNCHANGED if after == balance else PushStatus.UPDATED
            return PushResult(key, status, external_id=change.target_id, fields=fields)
        name = {"customer": "Customer", "invoice": "Invoice"}.get(change.record.entity)
        if name is None:
            raise _Refused(f"the QuickBooks connector does not push {change.record.entity} "
                           "records")
        body = self._body(change)
        if op is PushOperation.CREATE:
            return PushResult(key, PushStatus.CREATED, fields=tuple(
                FieldChange(k, ours=_text(k, body[k]), theirs=None)
                for k in UPDATABLE[name] if k in body))
        if change.target_id is None:
            raise _Refused("an update needs the QuickBooks id of the record")
        compared = self._compare(change, name, body, self.api.read(name, change.target_id))
        if any(f.outcome is FieldOutcome.CONFLICT for f in compared):
            status = PushStatus.CONFLICT
        elif any(f.written for f in compared):
            status = PushStatus.UPDATED
        else:
            status = PushStatus.UNCHANGED
        return PushResult(key, status, external_id=change.target_id, fields=tuple(compared))

    def _mark_paid(self, change: PushChange) -> PushResult:
        if change.target_id is None:
            raise _Refused("marking an invoice paid needs its QuickBooks id")
        invoice = self.api.read("Invoice", change.target_id)
        balance = Decimal(str(invoice.get("Balance") or 0))
        if balance <= 0:
            return self._result(change, PushStatus.UNCHANGED, invoice)
        payment: Obj = {
            "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
            "TotalAmt": balance,
            "PrivateNote": f"Paid as recorded in {change.record.source}; "
                           f"entered by billing-hub ({change.record.external_id})",
            "Line": [{"Amount": balance,
                      "LinkedTxn": [{"TxnId": change.target_id, "TxnType": "Invoice"}]}],
        }
        if invoice.get("CurrencyRef"):
            payment["CurrencyRef"] = {"value": invoice["CurrencyRef"]["value"]}
        self.api.write("Payment", payment, request_id(change.idempotency_key, "pay"))
        return self._result(change, PushStatus.UPDATED,
                            self.api.read("Invoice", change.target_id))

    def _application(self, change: PushChange) -> PushResult:
        """Apply money to an invoice as a line of a Payment, or take the line back."""
        app, invoice_id = change.application, change.target_id
        if app is None or invoice_id is None:
            raise _Refused("applying a payment needs the invoice's QuickBooks id and the amount")
        key = change.idempotency_key
        if change.operation is PushOperation.UNAPPLY:
            if app.payment_id is None:
                raise _Refused(f"QuickBooks holds no payment of {app.receipt} to take back")
            return self._relink(change, app.payment_id, invoice_id, -app.amount, key, "un")
        if app.payment_id is not None:
            return self._relink(change, app.payment_id, invoice_id, app.amount, key, "apply")
        invoice = self.api.read("Invoice", invoice_id)
        payment: Obj = {
            "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
            "TotalAmt": app.amount,
            "PrivateNote": _applied_note(app.receipt),
            "Line": [{"Amount": app.amount,
                      "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
        }
        if app.received is not None:
            payment["TxnDate"] = app.received.isoformat()
        if app.reference:
            payment["PaymentRefNum"] = app.reference[:PAYMENT_REF_LIMIT]
        if invoice.get("CurrencyRef"):
            payment["CurrencyRef"] = {"value": invoice["CurrencyRef"]["value"]}
        made = self.api.write("Payment", payment, request_id(key, "apply"))
        return PushResult(key, PushStatus.UPDATED, external_id=str(made["Id"]))

    def _relink(self, change: PushChange, payment_id: str, invoice_id: str, amount: Decimal,
                key: str, step: str) -> PushResult:
        """Change by ``amount`` what payment ``payment_id`` applies to the invoice (a line
        added, grown, shrunk or dropped), on the payment as read; a stale SyncToken is
        read again once."""
        for attempt in (1, 2):
            payment = self.api.read("Payment", payment_id)
            lines = [dict(ln) for ln in payment.get("Line") or []]
            mine = [ln for ln in lines if _links_invoice(ln, invoice_id)]
            if mine:
                mine[0]["Amount"] = Decimal(str(mine[0]["Amount"])) + amount
            elif amount > 0:
                lines.append({"Amount": amount,
                              "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]})
            else:
                raise _Refused(f"QuickBooks payment {payment_id} applies nothing to invoice "
                               f"{invoice_id} to take back")
            if mine and mine[0]["Amount"] < 0:
                raise _Refused(f"QuickBooks payment {payment_id} applies less than "
                               f"{-amount} to invoice {invoice_id}")
            lines = [ln for ln in lines if Decimal(str(ln["Amount"])) > 0]
            total = Decimal(str(payment["TotalAmt"]))
            if _ours(payment, change):  # money received elsewhere: it grows as it is applied
                total = max(total, sum((Decimal(str(ln["Amount"])) for ln in lines),
                                       Decimal(0)))
            body: Obj = {"Id": payment_id, "SyncToken": payment["SyncToken"], "sparse": True,
                         "CustomerRef": payment["CustomerRef"], "TotalAmt": total,
                         "Line": lines}
            try:
                done = self.api.write("Payment", body, request_id(key, f"{step}{attempt}"))
            except QuickBooksRefused as exc:
                if exc.code == STALE and attempt == 1:
                    continue
                raise
            return PushResult(key, PushStatus.UPDATED, external_id=str(done["Id"]))
        raise AssertionError("unreachable")

    def _result(self, change: PushChange, status: PushStatus, obj: Obj,
                fields: tuple[FieldChange, ...] = ()) -> PushResult:
        return PushResult(change.idempotency_key, status, external_id=str(obj["Id"]),
                          record=self.mapper(change.record.entity, obj), fields=fields)

    # ------------------------------------------------------------------ bodies
    def _customer_body(self, record: Customer) -> Obj:
        body: Obj = {"DisplayName": record.name[:500], "Notes": _note(record)}
        if record.email:
            body["PrimaryEmailAddr"] = {"Address": record.email}
        if record.phone:
            body["PrimaryPhone"] = {"FreeFormNumber": record.phone}
        if record.currency:
            body["CurrencyRef"] = {"value": record.currency}
        return body

    def _invoice_body(self, change: PushChange) -> Obj:
        record = change.record
        assert isinstance(record, Invoice)
        if len(record.number) > DOC_NUMBER_LIMIT:
            raise _Refused(f"invoice number {record.number!r} is longer than the "
                           f"{DOC_NUMBER_LIMIT} characters QuickBooks allows")
        body: Obj = {
            "CustomerRef": {"value": self._customer_of(change)},
            "DocNumber": record.number, "TxnDate": record.issue_date.isoformat(),
            "CurrencyRef": {"value": record.currency}, "PrivateNote": _note(record),
            "Line": self._lines(record),
        }
        if record.due_date is not None:
            body["DueDate"] = record.due_date.isoformat()
        return body

    def _customer_of(self, change: PushChange) -> str:
        linked = change.references.get("customer")
        if linked:
            return linked
        record = change.record
        name = record.customer_name if isinstance(record, Invoice) else None
        if name:
            found = self.api.query(
                f"SELECT * FROM Customer WHERE DisplayName = {quoted(name)}")
            customers = (found.get("QueryResponse") or {}).get("Customer") or []
            if len(customers) == 1:
                return str(customers[0]["Id"])
        raise _Refused(
            f"QuickBooks has no customer for this invoice ({name or 'no customer name'}): "
            "push the customer first, or link it (`billing-hub link`)")

    def _item(self) -> str:
        if self._item_id is None:
            found = self.api.query(
                f"SELECT * FROM Item WHERE Name = {quoted(self.push_item)}")
            items = (found.get("QueryResponse") or {}).get("Item") or []
            if not items:
                raise _Refused(f"QuickBooks has no item named {self.push_item!r} for the "
                               "invoice lines: create it, or set `push_item`")
            self._item_id = str(items[0]["Id"])
        return self._item_id

    def _lines(self, record: Invoice) -> list[Obj]:
        item = self._item()
        lines: list[Obj] = []
        for line in record.lines or []:
            if line.amount < 0:
                lines.append({"DetailType": "DiscountLineDetail", "Amount": -line.amount,
                              "Description": line.description or "Discount",
                              "DiscountLineDetail": {"PercentBased": False}})
                continue
            detail: Obj = {"ItemRef": {"value": item}}
            if (line.quantity is not None and line.unit_price is not None
                    and line.quantity * line.unit_price == line.amount):
                detail.update(Qty=line.quantity, UnitPrice=line.unit_price)
            lines.append({"DetailType": "SalesItemLineDetail", "Amount": line.amount,
                          "Description": line.description, "SalesItemLineDetail": detail})
        if not record.lines:  # an invoice known only by its total
            subtotal = (record.total or Decimal(0)) - record.tax
            lines.append({"DetailType": "SalesItemLineDetail", "Amount": subtotal,
                          "Description": f"Invoice {record.number}",
                          "SalesItemLineDetail": {"ItemRef": {"value": item}}})
        if record.tax:
            lines.append({"DetailType": "SalesItemLineDetail", "Amount": record.tax,
                          "Description": "Tax",
                          "SalesItemLineDetail": {"ItemRef": {"value": item}}})
        return lines


def _applied_note(receipt: str) -> str:
    return f"billing-hub: {receipt}, applied by a coordinator"


def _ours(payment: Obj, change: PushChange) -> bool:
    """Whether the hub made ``payment`` for money received elsewhere (a bank line)."""
    app = change.application
    return app is not None and payment.get("PrivateNote") == _applied_note(app.receipt)


def _links_invoice(line: Obj, invoice_id: str) -> bool:
    return any(str(x.get("TxnId")) == invoice_id and x.get("TxnType") == "Invoice"
               for x in line.get("LinkedTxn") or [])


def _line_set(lines: Sequence[Obj]) -> list[tuple[str, Decimal, str]]:
    return sorted(
        (str(ln.get("DetailType")), Decimal(str(ln.get("Amount") or 0)),
         "" if ln.get("DetailType") == "DiscountLineDetail" else ln.get("Description") or "")
        for ln in lines if ln.get("DetailType") in ("SalesItemLineDetail", "DiscountLineDetail"))


def _conflict_reason(name: str, conflicts: Sequence[FieldChange]) -> str:
    sides = "; ".join(f"{f.field}: base {f.base or '(none)'}, ours {f.ours or '(none)'}, "
                      f"theirs {f.theirs or '(none)'}" for f in conflicts)
    return (f"someone changed the {name.lower()} in QuickBooks since the hub last wrote it, "
            f"in the same field(s) as this change ({sides}): nothing was sent")


def _amount(value: Any) -> str:
    """An amount as comparable text with at least two decimals: ``361.5`` and ``361.50``
    are both ``361.50``, ``400`` is ``400.00``."""
    amount = Decimal(str(value)).normalize()
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return f"{amount:f}"


def _text(key: str, value: Any) -> str | None:
    """A field of a QuickBooks body or object as text that compares and reads well."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if key == "Line":
        parts = [f"{desc or 'discount'} {_amount(amount)}" if kind == "DiscountLineDetail"
                 else f"{desc or '(no description)'} {_amount(amount)}"
                 for kind, amount, desc in _line_set(value)]
        return "; ".join(parts) or None
    if isinstance(value, dict):
        plain = _plain(value)
        return str(next(iter(plain.values()))) if plain else None
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return _amount(value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k in ("value", "Address",
                                                               "FreeFormNumber")}
    if isinstance(value, Decimal | int):
        return Decimal(value)
    return value
