"""Applying money received to an invoice by hand, and queueing it for the invoice's system.

The receipt is a payment record or a bank credit (a ``bank_transaction`` with
money in); the invoice must be in the receipt's currency, and the amount (by
default as much as both allow) at most the invoice's balance and what the
receipt has not applied yet, counting the applications made here before.
The invoice's system must be a connector that applies payments
(``EntitySupport.apply_payments``); for any other, such as a CSV export,
nothing is queued and the caller is told why.

The application is written to the outbox (entity ``payment_application``,
operation ``apply``) in the same transaction as its audit entry, under a key
derived from the receipt, the invoice and the amount: the same application
made again finds the key taken and queues nothing. ``billing-hub push send``
sends it with that key (QuickBooks' ``requestid``, Stripe's
``Idempotency-Key``), so a lost answer or a crash never applies the payment
twice. The reconciler counts it only once a later sync reads it back from the
invoice's system (:mod:`hub.reconcile.queued`); until then the receipt's
unapplied-payment finding stays open, marked "applied, awaiting confirmation".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from hub.contract.names import short_name
from hub.errors import HubError
from hub.money import from_minor_units, to_minor_units
from hub.reconcile.naming import resolve
from hub.reconcile.queued import ENTITY, taken_minor
from hub.reconcile.text import money
from hub.store import Connection, audit, lookups
from hub.store import outbox as store_outbox

OPERATION = "apply"
RECEIPTS = ("payment", "bank_transaction")


@dataclass(slots=True)
class Applied:
    """What :func:`apply_payment` did."""

    payment: str
    invoice: str
    amount: Decimal
    currency: str
    idempotency_key: str
    queued: bool  # False when the same application was already queued
    target: str = ""
    """The connector the application was queued for: the invoice's system."""


def _record(conn: Connection, text: str, entities: tuple[str, ...]
            ) -> tuple[int, str, dict[str, Any], Any]:
    found = resolve(conn, text)
    row = lookups.standing(conn, found.id)
    if row.entity not in entities:
        wanted = " or ".join("a bank line" if e == "bank_transaction" else f"a {e}"
                             for e in entities)
        raise HubError(f"{found.name} is a {row.entity}, not {wanted}")
    return found.id, found.name, orjson.loads(row.data), row


def _short(name: str) -> str:
    """``SOURCE:ID`` of a record named ``SOURCE:ENTITY:ID``: how an application's
    outbox payload and idempotency key name its records (see :func:`apply_payment`)."""
    source, _, rest = name.partition(":")
    return short_name(source, rest.partition(":")[2])


def _unapplied(label: str, data: dict[str, Any], row: Any) -> int:
    """Minor units of the receipt not applied in its own system."""
    if row.entity == "bank_transaction":
        amount = to_minor_units(Decimal(str(data.get("amount") or 0)), row.currency)
        if amount <= 0:
            raise HubError(f"{label} is money going out, not a payment received",
                           hint="apply a bank credit, or the payment record it became")
        return amount
    return int(row.open_minor or 0)


def apply_payment(conn: Connection, payment: str, invoice: str, amount: Decimal | None, *,
                  actor: str, now: datetime,
                  cannot_apply: Callable[[str], str | None] = lambda _target: None) -> Applied:
    """Record that ``amount`` of ``payment`` pays ``invoice`` and queue it for the
    invoice's system; see the module's docstring.

    ``cannot_apply(target)`` says why connector ``target`` cannot take the
    application (``None``: it can); a reason refuses it with that reason.
    """
    pid, plabel, pdata, prow = _record(conn, payment, RECEIPTS)
    iid, ilabel, idata, irow = _record(conn, invoice, ("invoice",))
    target = ilabel.split(":", 1)[0]
    # The payload and the key name the records by SOURCE:ID, as they did before
    # records were named with their entity: the key of an application made again
    # stays the key it was queued under, the pushers read the target's ids from
    # the payload, and a QuickBooks payment's note names its receipt this way. The
    # receipt's entity is in the payload ("payment_entity"); the invoice's is invoice.
    pkey, ikey = _short(plabel), _short(ilabel)
    why_not = cannot_apply(target)
    if why_not:
        raise HubError(f"cannot apply {plabel} to {ilabel}: {why_not}",
                       hint=f"record the payment in {target} itself; the next sync brings "
                            "it into the hub")
    cur = prow.currency
    if irow.currency != cur:
        raise HubError(f"{plabel} is in {cur} but {ilabel} is in {irow.currency}",
                       hint="a payment can only be applied to an invoice in its currency")
    free = _unapplied(plabel, pdata, prow) - taken_minor(conn).get(pid, 0)
    balance = int(irow.open_minor or 0)
    want = to_minor_units(amount, cur) if amount is not None else min(free, balance)
    if want <= 0:
        raise HubError(f"nothing left to apply: {plabel} has {money(max(free, 0), cur)} "
                       f"unapplied and {ilabel} a balance of {money(balance, cur)}")
    if want > free:
        raise HubError(f"{plabel} has only {money(free, cur)} unapplied, less than "
                       f"{money(want, cur)}", hint="pass a smaller --amount")
    if want > balance:
        raise HubError(f"{ilabel} has a balance of only {money(balance, cur)}",
                       hint="pass --amount up to the balance; apply the rest elsewhere")
    key_source = f"{pkey}|{ikey}|{want}|{cur}".encode()
    key = "bh-apply-" + hashlib.blake2b(key_source, digest_size=12).hexdigest()
    exists = store_outbox.key_taken(conn, key)
    payload = {"payment": pkey, "invoice": ikey, "payment_id": pid, "invoice_id": iid,
               "payment_entity": prow.entity, "invoice_number": idata.get("number"),
               "amount_minor": want, "currency": cur,
               "amount": str(from_minor_units(want, cur)), "invoice_open_minor": balance}
    if not exists:
        approved = {"approved": {"by": actor, "at": now.isoformat()}}  # the coordinator's act
        store_outbox.add(conn, target=target, entity=ENTITY, operation=OPERATION,
                         record_id=iid, payload=orjson.dumps(payload).decode(), key=key,
                         now=now, result=orjson.dumps(approved).decode())
        audit.record(conn, "payment.applied", subject=f"{plabel} {ilabel}", actor=actor,
                     details={"amount": payload["amount"], "currency": cur,
                              "idempotency_key": key, "target": target}, at=now)
    return Applied(plabel, ilabel, from_minor_units(want, cur), cur, key, not exists, target)
