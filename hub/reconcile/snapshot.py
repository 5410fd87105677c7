"""The store's invoices, payments and customers, loaded once per reconcile.

The reconciler works on compact rows built from the store's indexed columns
(integer minor units, dates, numbers, parties); the canonical JSON is parsed
only where a rule needs more (payment applications and memo, cross-system
references in metadata), so a million invoices fit in a few hundred MB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.money import to_minor_units
from hub.reconcile.queued import queued_minor
from hub.store.schema import records

BATCH = 20_000


@dataclass(slots=True)
class InvoiceRow:
    """An invoice as the reconciler sees it; amounts in minor units."""

    id: int
    source: str
    external_id: str
    number: str | None
    customer: str | None
    customer_ref: str | None
    currency: str
    total: int
    balance: int
    status: str
    issue_date: date | None
    due_date: date | None
    refs: dict[str, str] = field(default_factory=dict)

    @property
    def paid(self) -> int:
        return self.total - self.balance


@dataclass(slots=True)
class Application:
    """Part of a payment applied to an invoice named by id or by number."""

    invoice_ref: str | None
    invoice_number: str | None
    amount: int
    invoice_id: int | None = None
    """The invoice's store id, when a coordinator applied the payment by hand."""


@dataclass(slots=True)
class PaymentRow:
    """A payment as the reconciler sees it; amounts in minor units."""

    id: int
    source: str
    external_id: str
    reference: str | None
    payer: str | None
    customer_ref: str | None
    currency: str
    amount: int
    unapplied: int
    status: str | None
    received: date | None
    memo: str
    applications: list[Application] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)

    @property
    def applied(self) -> int:
        return self.amount - self.unapplied


@dataclass(slots=True)
class CustomerRow:
    id: int
    source: str
    external_id: str
    name: str
    refs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Snapshot:
    """Everything the reconciler reads, grouped by source."""

    invoices: list[InvoiceRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    customers: list[CustomerRow] = field(default_factory=list)
    bank_credits: list[str] = field(default_factory=list)
    """The text of every money-in bank line (description, reference, counterparty)."""

    def sources(self, entity: str) -> list[str]:
        if entity == "invoice":
            return sorted({r.source for r in self.invoices})
        if entity == "payment":
            return sorted({r.source for r in self.payments})
        return sorted({r.source for r in self.customers})


def _metadata(data: str) -> dict[str, str]:
    if '"metadata":{}' in data or '"metadata"' not in data:
        return {}
    meta = orjson.loads(data).get("metadata") or {}
    return {str(k): str(v) for k, v in meta.items()}


def _rows(conn: Connection, entity: str, with_data: bool) -> Iterator[Any]:
    cols = [records.c.id, records.c.source, records.c.external_id, records.c.number,
            records.c.party, records.c.customer_ref, records.c.currency, records.c.amount_minor,
            records.c.open_minor, records.c.status, records.c.doc_date, records.c.due_date]
    if with_data:
        cols.append(records.c.data)
    last = 0
    while True:
        stmt = (sa.select(*cols)
                .where(records.c.entity == entity, records.c.deleted_at.is_(None),
                       records.c.id > last)
                .order_by(records.c.id).limit(BATCH))
        batch = conn.execute(stmt).all()
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


_NO_REFS: dict[str, str] = {}  # shared by every row without references; never mutated


def _invoices(conn: Connection, pool: dict[Any, Any]) -> Iterator[InvoiceRow]:
    """Invoices, with repeated values (sources, currencies, names, dates) stored once."""
    one = pool.setdefault
    for (rid, source, ext, number, party, cref, cur, total, open_, status, issued, due,
         data) in _rows(conn, "invoice", True):
        refs = _metadata(data)
        yield InvoiceRow(rid, one(source, source), ext, ext if number == ext else number,
                         one(party, party), one(cref, cref), one(cur, cur), int(total or 0),
                         int(open_ or 0), one(status or "open", status or "open"),
                         one(issued, issued), one(due, due), refs or _NO_REFS)


def _payments(conn: Connection, pool: dict[Any, Any]) -> Iterator[PaymentRow]:
    one = pool.setdefault
    for (rid, source, ext, reference, party, cref, cur, amount, open_, status, received, _due,
         data) in _rows(conn, "payment", True):
        doc = orjson.loads(data)
        memo = " ".join(str(doc.get(k) or "") for k in ("memo", "reference")).strip()
        apps = [
            Application(a.get("invoice_ref"), a.get("invoice_number"),
                        to_minor_units(Decimal(a["amount"]), cur))
            for a in doc.get("applications") or ()
        ]
        meta = {str(k): str(v) for k, v in (doc.get("metadata") or {}).items()}
        yield PaymentRow(rid, one(source, source), ext, ext if reference == ext else reference,
                         one(party, party), one(cref, cref), one(cur, cur), int(amount or 0),
                         int(open_ or 0), one(status, status), one(received, received), memo,
                         apps, meta or _NO_REFS)


def _customers(conn: Connection) -> Iterator[CustomerRow]:
    for (rid, source, ext, _n, party, *_rest, data) in _rows(conn, "customer", True):
        yield CustomerRow(rid, source, ext, party or "", _metadata(data))


def _bank_credits(conn: Connection) -> Iterator[str]:
    stmt = sa.select(records.c.data).where(
        records.c.entity == "bank_transaction", records.c.deleted_at.is_(None),
        records.c.amount_minor > 0)
    for (data,) in conn.execute(stmt):
        doc = orjson.loads(data)
        yield " ".join(str(doc.get(k) or "") for k in ("description", "reference",
                                                        "counterparty"))


def load(conn: Connection) -> Snapshot:
    """Read every live invoice, payment and customer, and the bank's money-in lines.

    Applications a coordinator made (``apply-payment``) count as soon as they
    are queued for the ledger.
    """
    pool: dict[Any, Any] = {}
    invoices = list(_invoices(conn, pool))
    payments = list(_payments(conn, pool))
    del pool
    queued = queued_minor(conn)
    if queued:
        named = {i.id: (i.external_id, i.number) for i in invoices}
        for p in payments:
            for invoice_id, amount in queued.get(p.id, ()):
                ext, number = named.get(invoice_id, (None, None))
                p.applications.append(Application(ext, number, amount, invoice_id))
                p.unapplied -= amount
    return Snapshot(invoices, payments, list(_customers(conn)), list(_bank_credits(conn)))
