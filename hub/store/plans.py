"""Payment plans as the store keeps them, and the open balances of the invoices they cover.

What a plan's state is on a day is worked out in :mod:`hub.reconcile.plans`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.models import PaymentPlan
from hub.store.clock import as_utc
from hub.store.schema import payment_plan_invoices, payment_plans, records


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """A plan with its number in the store, and who cancelled it when."""

    id: int
    plan: PaymentPlan
    cancelled_at: datetime | None
    cancelled_by: str | None

    @property
    def active(self) -> bool:
        return self.cancelled_at is None


def add(conn: Connection, plan: PaymentPlan) -> int:
    """Keep ``plan`` (and the invoices it covers); its number."""
    pid = conn.execute(payment_plans.insert().values(
        source=plan.source, external_id=plan.external_id, customer=plan.customer_ref,
        currency=plan.currency, data=plan.model_dump_json(exclude={"raw"}),
        agreed_at=plan.agreed_at, agreed_by=plan.agreed_by,
    ).returning(payment_plans.c.id)).scalar_one()
    conn.execute(payment_plan_invoices.insert(),
                 [{"plan_id": pid, "invoice": ref} for ref in dict.fromkeys(plan.invoice_refs)])
    return int(pid)


def _stored(row: Any) -> StoredPlan:
    pid, data, at, by = row
    return StoredPlan(int(pid), PaymentPlan.model_validate_json(data), as_utc(at), by)


_COLS = (payment_plans.c.id, payment_plans.c.data, payment_plans.c.cancelled_at,
         payment_plans.c.cancelled_by)


def get(conn: Connection, plan_id: int) -> StoredPlan | None:
    row = conn.execute(sa.select(*_COLS).where(payment_plans.c.id == plan_id)).first()
    return None if row is None else _stored(row)


def listed(conn: Connection, *, customer: str | None = None,
           active_only: bool = False) -> list[StoredPlan]:
    """Every plan (of ``customer``; not cancelled, with ``active_only``), oldest first."""
    stmt = sa.select(*_COLS).order_by(payment_plans.c.id)
    if customer is not None:
        stmt = stmt.where(payment_plans.c.customer == customer)
    if active_only:
        stmt = stmt.where(payment_plans.c.cancelled_at.is_(None))
    return [_stored(r) for r in conn.execute(stmt)]


def covering(conn: Connection, invoices: Iterable[str]) -> list[StoredPlan]:
    """The active plans that cover any of ``invoices`` (``SOURCE:invoice:ID``)."""
    wanted = sorted(set(invoices))
    if not wanted:
        return []
    ids = sa.select(payment_plan_invoices.c.plan_id).where(
        payment_plan_invoices.c.invoice.in_(wanted))
    stmt = (sa.select(*_COLS).where(payment_plans.c.id.in_(ids),
                                    payment_plans.c.cancelled_at.is_(None))
            .order_by(payment_plans.c.id))
    return [_stored(r) for r in conn.execute(stmt)]


def cancel(conn: Connection, plan_id: int, *, at: datetime, actor: str) -> bool:
    """Cancel an active plan; False when there is none by that number."""
    done = conn.execute(payment_plans.update().where(
        payment_plans.c.id == plan_id, payment_plans.c.cancelled_at.is_(None))
        .values(cancelled_at=at, cancelled_by=actor))
    return bool(done.rowcount)


@dataclass(frozen=True, slots=True)
class InvoiceOpen:
    """What the store says is still open on an invoice a plan covers."""

    name: str
    record_id: int
    number: str | None
    status: str | None
    currency: str | None
    open_minor: int
    """0 when it is paid, void or written off, or gone from its system."""
    customer_ref: str | None


def open_balances(conn: Connection, names: Sequence[str]) -> dict[str, InvoiceOpen]:
    """``SOURCE:invoice:ID`` -> what is open on it now (an unknown name is left out)."""
    out: dict[str, InvoiceOpen] = {}
    for name in dict.fromkeys(names):
        source, entity, ext = [*name.split(":", 2), "", ""][:3]
        row = conn.execute(sa.select(
            records.c.id, records.c.number, records.c.status, records.c.currency,
            records.c.open_minor, records.c.customer_ref, records.c.deleted_at).where(
            records.c.source == source, records.c.entity == entity,
            records.c.external_id == ext)).first()
        if row is None:
            continue
        live = row.deleted_at is None and row.status in ("open", "partially_paid")
        out[name] = InvoiceOpen(name, int(row.id), row.number, row.status, row.currency,
                                max(int(row.open_minor or 0), 0) if live else 0,
                                row.customer_ref)
    return out


def invoices_of_customer(conn: Connection, source: str, customer_ext: str) -> list[str]:
    """``SOURCE:invoice:ID`` of the customer's live invoices with a balance, oldest first."""
    stmt = (sa.select(records.c.external_id).where(
        records.c.source == source, records.c.entity == "invoice",
        records.c.customer_ref == customer_ext, records.c.deleted_at.is_(None),
        records.c.status.in_(("open", "partially_paid")), records.c.open_minor > 0)
        .order_by(records.c.due_date, records.c.id))
    return [f"{source}:invoice:{ext}" for (ext,) in conn.execute(stmt)]
