"""Payment applications a coordinator made (``apply-payment``), and whether the target
system has confirmed them.

Each is an outbox row (entity ``payment_application``) bound for the invoice's
system. It is *queued* until the pusher sends it, *sent* once the target
answered, and *confirmed* once a sync that started after that answer read the
target's copy back showing it: the target's payment (the id it answered with)
applying at least the amount to the invoice, or, where the target keeps no
payment object (Stripe's out-of-band payment), the invoice's balance down by
at least the amount. A rejected or failed row counts for nothing.

What the reconciler does with each (:mod:`hub.reconcile.snapshot`):
queued and sent ones are *awaiting confirmation*: not counted as applied (the
unapplied-payment finding stays open and says so); a confirmed one counts as
applied, unless the receipt is the target's own record, whose own
applications show it from that sync on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from hub.contract.names import record_name
from hub.money import to_minor_units
from hub.store import Connection, lookups
from hub.store import outbox as store_outbox
from hub.store.clock import as_utc

ENTITY = store_outbox.APPLICATIONS
QUEUED, SENT, CONFIRMED = "queued", "sent", "confirmed"
LIVE = (store_outbox.PENDING, store_outbox.SENT)


@dataclass(frozen=True, slots=True)
class Coordinated:
    """One application a coordinator made, and where it stands."""

    payment_id: int
    """The store id of the receipt: a payment or a bank line."""
    invoice_id: int
    amount: int
    """Minor units of ``currency``."""
    currency: str
    target: str
    state: str
    """``queued``, ``sent`` or ``confirmed``."""
    in_record: bool
    """The receipt is the target's own payment: once confirmed, its record carries it."""
    receipt: str
    """The receipt's name, ``SOURCE:ENTITY:ID``."""
    invoice: str
    """The invoice's name, ``SOURCE:invoice:ID``."""
    invoice_number: str | None
    key: str
    sent_at: datetime | None

    @property
    def awaiting(self) -> bool:
        return self.state != CONFIRMED

    def as_dict(self) -> dict[str, Any]:
        """As a finding's details keep it."""
        return {"invoice": self.invoice, "number": self.invoice_number, "state": self.state,
                "target": self.target, "amount_minor": self.amount,
                "idempotency_key": self.key,
                "sent_at": self.sent_at.isoformat() if self.sent_at else None}


def coordinated(conn: Connection) -> list[Coordinated]:
    """Every live (queued or sent) application, in the order made."""
    out: list[Coordinated] = []
    for row in store_outbox.of_entity(conn, ENTITY, statuses=LIVE):
        data = orjson.loads(row.payload)
        sent_at = as_utc(row.sent_at)
        state = QUEUED
        if row.status == store_outbox.SENT:
            state = CONFIRMED if _confirmed(conn, row, data, sent_at) else SENT
        out.append(Coordinated(
            int(data["payment_id"]), int(data["invoice_id"]), int(data["amount_minor"]),
            str(data["currency"]), row.target, state,
            str(data["payment"]).split(":", 1)[0] == row.target,
            _named(str(data["payment"]), str(data.get("payment_entity") or "payment")),
            _named(str(data["invoice"]), "invoice"), data.get("invoice_number"),
            row.idempotency_key, sent_at))
    return out


def _named(short: str, entity: str) -> str:
    """``SOURCE:ENTITY:ID`` of a record an application's payload names ``SOURCE:ID``."""
    source, _, ext = short.partition(":")
    return record_name(source, entity, ext)


def taken_minor(conn: Connection) -> dict[int, int]:
    """receipt id -> minor units applied by hand and not yet in the receipt's own record."""
    out: dict[int, int] = {}
    for c in coordinated(conn):
        if not (c.state == CONFIRMED and c.in_record):
            out[c.payment_id] = out.get(c.payment_id, 0) + c.amount
    return out


def _confirmed(conn: Connection, row: store_outbox.OutboxRow, data: dict[str, Any],
               sent_at: datetime | None) -> bool:
    if sent_at is None:
        return False
    answer = orjson.loads(row.result or "{}")
    invoice_ext = str(data["invoice"]).split(":", 1)[1]
    amount, currency = int(data["amount_minor"]), str(data["currency"])
    payment_ext = answer.get("external_id")
    if payment_ext:
        payment = lookups.synced_copy(conn, row.target, "payment", str(payment_ext))
        if payment is None or not _read_after(payment, sent_at):
            return False
        doc = orjson.loads(payment.data)
        applied = sum((Decimal(a["amount"]) for a in doc.get("applications") or ()
                       if str(a.get("invoice_ref")) == invoice_ext), Decimal(0))
        return to_minor_units(applied, currency) >= amount
    invoice = lookups.synced_copy(conn, row.target, "invoice", invoice_ext)
    if invoice is None or not _read_after(invoice, sent_at):
        return False
    before = int(data.get("invoice_open_minor") or 0)
    return int(invoice.open_minor or 0) <= before - amount


def _read_after(copy: lookups.SyncedCopy, sent_at: datetime) -> bool:
    read_at = as_utc(copy.read_at)
    return read_at is not None and read_at >= sent_at
