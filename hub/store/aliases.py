"""Payer aliases: other names a customer pays under, learned by the hub.

A customer record carries its own ``aliases`` (from its source, read-only
here). This module keeps the ones learned on top: a name a coordinator
confirmed (``apply-payment`` of a payment whose payer name the customer is
not known by) or added by hand (``billing-hub aliases add``). Each add and
each removal is written to the audit log in the caller's transaction. A
removed alias keeps its row with who removed it and when; only the live ones
identify a payer (:func:`live_names`, read once per reconcile).

Names are compared by :func:`name_key`: casefolded, runs of whitespace as one
space, trimmed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.contract.names import record_name
from hub.errors import HubError
from hub.store import audit
from hub.store.clock import as_utc
from hub.store.schema import payer_aliases, records

_a = payer_aliases.c
_r = records.c
_LIVE = _a.removed_at.is_(None)

ADDED = "alias.added"
REMOVED = "alias.removed"
"""The audit log's actions for an alias added (by hand or learned) and removed."""


def name_key(name: str) -> str:
    """What two names must share to be the same name: casefolded, spaces collapsed."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer record as an alias belongs to it."""

    id: int
    source: str
    external_id: str
    name: str
    aliases: tuple[str, ...]
    """The record's own aliases (from its source)."""

    @property
    def label(self) -> str:
        return record_name(self.source, "customer", self.external_id)


@dataclass(frozen=True, slots=True)
class Alias:
    """A learned alias, live or removed."""

    id: int
    customer_id: int
    customer: str
    """The customer's ``SOURCE:customer:ID``."""
    customer_name: str
    name: str
    reason: str
    added_by: str
    added_at: datetime
    removed_by: str | None
    removed_at: datetime | None


def customer(conn: Connection, record_id: int) -> Customer:
    """The live customer record with this id; a :class:`HubError` for anything else."""
    row = conn.execute(sa.select(_r.id, _r.source, _r.external_id, _r.entity, _r.party,
                                 _r.data, _r.deleted_at).where(_r.id == record_id)).first()
    if row is None:
        raise HubError(f"no record {record_id} in the store")
    label = record_name(str(row.source), str(row.entity), str(row.external_id))
    if row.entity != "customer":
        raise HubError(f"{label} is not a customer but a record of type {row.entity!r}")
    if row.deleted_at is not None:
        raise HubError(f"{label} was deleted in {row.source}")
    own = orjson.loads(row.data).get("aliases") or ()
    return Customer(int(row.id), str(row.source), str(row.external_id), str(row.party or ""),
                    tuple(str(a) for a in own))


def invoice_customer(conn: Connection, invoice_id: int) -> tuple[int | None, str]:
    """The live customer record of an invoice: the one its ``customer_ref`` names in the
    invoice's source, else the only one there with exactly its customer name.

    Returns (customer id or None, why none when None)."""
    inv = conn.execute(sa.select(_r.source, _r.customer_ref, _r.party)
                       .where(_r.id == invoice_id)).one()
    customers = sa.and_(_r.source == inv.source, _r.entity == "customer",
                        _r.deleted_at.is_(None))
    if inv.customer_ref:
        found = conn.execute(sa.select(_r.id).where(
            customers, _r.external_id == inv.customer_ref)).scalar()
        if found is not None:
            return int(found), ""
    if not inv.party:
        return None, "the invoice names no customer"
    named = conn.execute(sa.select(_r.id).where(customers, _r.party == inv.party)
                         .limit(2)).scalars().all()
    if len(named) == 1:
        return int(named[0]), ""
    if not named:
        return None, f"{inv.source} has no customer record {inv.party!r}"
    return None, f"{inv.source} has more than one customer named {inv.party!r}"


def _select() -> sa.Select[Any]:
    return (sa.select(_a.id, _a.customer_id, _r.source, _r.external_id, _r.party, _a.name,
                      _a.reason, _a.added_by, _a.added_at, _a.removed_by, _a.removed_at)
            .select_from(payer_aliases.join(records, _r.id == _a.customer_id))
            .order_by(_a.id))


def _alias(row: Any) -> Alias:
    return Alias(int(row.id), int(row.customer_id),
                 record_name(str(row.source), "customer", str(row.external_id)),
                 str(row.party or ""), str(row.name), str(row.reason), str(row.added_by),
                 as_utc(row.added_at) or row.added_at, row.removed_by, as_utc(row.removed_at))


def listing(conn: Connection, customer_id: int | None = None, *,
            removed: bool = False) -> list[Alias]:
    """The learned aliases of one customer (or of all), oldest first; the live ones only
    unless ``removed``."""
    stmt = _select()
    if customer_id is not None:
        stmt = stmt.where(_a.customer_id == customer_id)
    if not removed:
        stmt = stmt.where(_LIVE)
    return [_alias(r) for r in conn.execute(stmt)]


def get(conn: Connection, alias_id: int) -> Alias | None:
    row = conn.execute(_select().where(_a.id == alias_id)).first()
    return None if row is None else _alias(row)


def live_one(conn: Connection, customer_id: int, name: str) -> Alias | None:
    """The live learned alias of the customer that is ``name`` (by :func:`name_key`)."""
    row = conn.execute(_select().where(_a.customer_id == customer_id,
                                       _a.name_key == name_key(name), _LIVE)).first()
    return None if row is None else _alias(row)


def known_by(conn: Connection, of: Customer, name: str) -> str | None:
    """How the customer ``of`` is already known by ``name`` (its name, one of its record's
    aliases, a live learned alias), or None when it is not."""
    key = name_key(name)
    if name_key(of.name) == key:
        return "its name"
    for own in of.aliases:
        if name_key(own) == key:
            return f"an alias in its record ({own!r})"
    same = live_one(conn, of.id, name)
    return None if same is None else f"its alias {same.id} ({same.name!r})"


def add(conn: Connection, of: Customer, name: str, *, reason: str, actor: str,
        now: datetime) -> Alias:
    """Learn ``name`` as an alias of the customer ``of``, audited; refused
    (:class:`HubError`) when :func:`known_by` says the customer is known by it."""
    name = name.strip()
    if not name:
        raise HubError("an alias cannot be empty")
    already = known_by(conn, of, name)
    if already is not None:
        raise HubError(f"{of.label} ({of.name}) is already known as {name!r}: {already}")
    result = conn.execute(payer_aliases.insert().values(
        customer_id=of.id, name=name, name_key=name_key(name), reason=reason,
        added_by=actor, added_at=now))
    pk = result.inserted_primary_key
    assert pk is not None
    aid = int(pk[0])
    audit.record(conn, ADDED, subject=f"alias:{aid}", actor=actor, at=now,
                 details={"customer": of.label, "name": name, "reason": reason})
    return Alias(aid, of.id, of.label, of.name, name, reason, actor, now, None, None)


def remove(conn: Connection, alias_id: int, *, actor: str, now: datetime) -> Alias:
    """Stop using a learned alias, audited; its row stays, marked removed."""
    found = get(conn, alias_id)
    if found is None:
        raise HubError(f"no alias {alias_id}", hint="`billing-hub aliases list` shows them")
    if found.removed_at is not None:
        raise HubError(f"alias {alias_id} ({found.name!r} of {found.customer}) was already "
                       f"removed by {found.removed_by}")
    conn.execute(payer_aliases.update().where(_a.id == alias_id)
                 .values(removed_by=actor, removed_at=now))
    audit.record(conn, REMOVED, subject=f"alias:{alias_id}", actor=actor, at=now,
                 details={"customer": found.customer, "name": found.name})
    return Alias(found.id, found.customer_id, found.customer, found.customer_name, found.name,
                 found.reason, found.added_by, found.added_at, actor, now)


def live_names(conn: Connection) -> dict[int, list[str]]:
    """Customer id -> its live learned aliases, oldest first, in one query."""
    out: dict[int, list[str]] = defaultdict(list)
    stmt = sa.select(_a.customer_id, _a.name).where(_LIVE).order_by(_a.id)
    for cid, name in conn.execute(stmt):
        out[int(cid)].append(str(name))
    return dict(out)


@dataclass(frozen=True, slots=True)
class Learning:
    """What confirming a payment taught: the alias learned, or why nothing was."""

    alias: Alias | None
    note: str


def learn_payer(conn: Connection, payment_id: int, invoice_id: int, *, reason: str,
                actor: str, now: datetime) -> Learning:
    """Learn the payer name of a payment as an alias of the customer of the invoice it
    was confirmed to pay (:func:`invoice_customer`), unless the customer is already
    known by it (:func:`known_by`)."""
    payer = conn.execute(sa.select(_r.party).where(_r.id == payment_id)).scalar()
    if not payer or not str(payer).strip():
        return Learning(None, "the payment names no payer")
    payer = str(payer).strip()
    cid, why = invoice_customer(conn, invoice_id)
    if cid is None:
        return Learning(None, why)
    of = customer(conn, cid)
    already = known_by(conn, of, payer)
    if already is not None:
        return Learning(None, f"{of.label} is already known as {payer!r}: {already}")
    return Learning(add(conn, of, payer, reason=reason, actor=actor, now=now), "")
