"""Applying a payment to an invoice by hand, and queueing it for the ledger.

The application is written to the outbox in the same transaction as its audit
entry: the pusher of the invoice's system (QuickBooks, Stripe) sends it later
with the row's idempotency key, so a crash or a second click never applies the
payment twice. Until the ledger confirms it, the reconciler already counts the
queued application, so the unapplied-payment finding closes at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from hub.errors import HubError
from hub.money import from_minor_units, to_minor_units
from hub.reconcile.linking import resolve_record
from hub.reconcile.queued import ENTITY, queued_minor
from hub.reconcile.text import money
from hub.store import Connection, audit, lookups
from hub.store import outbox as store_outbox

OPERATION = "apply"


@dataclass(slots=True)
class Applied:
    payment: str
    invoice: str
    amount: Decimal
    currency: str
    idempotency_key: str
    queued: bool  # False when the same application was already queued


def _record(conn: Connection, text: str, entity: str) -> tuple[int, str, dict[str, Any], Any]:
    rid, label = resolve_record(conn, text)
    row = lookups.standing(conn, rid)
    if row.entity != entity:
        raise HubError(f"{label} is a {row.entity}, not a {entity}")
    return rid, label, orjson.loads(row.data), row


def apply_payment(conn: Connection, payment: str, invoice: str, amount: Decimal | None, *,
                  actor: str, now: datetime) -> Applied:
    """Record that ``amount`` of ``payment`` pays ``invoice`` and queue it for the ledger."""
    pid, plabel, _pdata, prow = _record(conn, payment, "payment")
    iid, ilabel, idata, irow = _record(conn, invoice, "invoice")
    cur = prow.currency
    if irow.currency != cur:
        raise HubError(f"{plabel} is in {cur} but {ilabel} is in {irow.currency}",
                       hint="a payment can only be applied to an invoice in its currency")
    already = sum(a for _, a in queued_minor(conn).get(pid, []))
    free = int(prow.open_minor or 0) - already
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
    key_source = f"{plabel}|{ilabel}|{want}|{cur}".encode()
    key = "bh-apply-" + hashlib.blake2b(key_source, digest_size=12).hexdigest()
    exists = store_outbox.key_taken(conn, key)
    payload = {"payment": plabel, "invoice": ilabel, "payment_id": pid, "invoice_id": iid,
               "invoice_number": idata.get("number"), "amount_minor": want, "currency": cur,
               "amount": str(from_minor_units(want, cur))}
    if not exists:
        store_outbox.add(conn, target=ilabel.split(":", 1)[0], entity=ENTITY,
                         operation=OPERATION, record_id=iid,
                         payload=orjson.dumps(payload).decode(), key=key, now=now)
        audit.record(conn, "payment.applied", subject=f"{plabel} {ilabel}", actor=actor,
                     details={"amount": payload["amount"], "currency": cur,
                              "idempotency_key": key}, at=now)
    return Applied(plabel, ilabel, from_minor_units(want, cur), cur, key, not exists)
