"""The simulator's memory: one ordered collection per object type, ids, the clock.

A collection keeps its records sorted by (created, arrival order), the order
Stripe lists them in (newest first), so a page or a ``created`` range is found
by bisection and a full sync over 100,000 invoices costs no scans. Every change
happens under the store's lock; records are immutable, so a reader renders
what it took out of the store after letting go of the lock.
"""

from __future__ import annotations

import base64
import bisect
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.account import Account
from plugins.stripe.simulator.clock import SimClock

_ALPHANUMERIC = bytes.maketrans(b"+/", b"Zq")
"""Ids are base64 of seeded random bytes, made alphanumeric as Stripe's are."""


class _Keyed(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def created(self) -> int: ...


class EventListener(Protocol):
    """Told of each event as it happens (the webhook sender)."""

    def endpoints_for(self, event_type: str) -> int:
        """How many deliveries this event will need (its ``pending_webhooks``)."""
        ...

    def notify(self, event: r.Event) -> None: ...


R = TypeVar("R", bound=_Keyed)
Key = tuple[int, int]


class Collection(Generic[R]):
    """Records of one type, by id and in (created, arrival) order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._by_id: dict[str, R] = {}
        self._key_of: dict[str, Key] = {}
        self._keys: list[Key] = []
        self._ids: list[str] = []

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, object_id: str) -> bool:
        return object_id in self._by_id

    def get(self, object_id: str) -> R | None:
        return self._by_id.get(object_id)

    def add(self, record: R, seq: int) -> R:
        key = (record.created, seq)
        if not self._keys or key > self._keys[-1]:
            self._keys.append(key)
            self._ids.append(record.id)
        else:
            at = bisect.bisect_left(self._keys, key)
            self._keys.insert(at, key)
            self._ids.insert(at, record.id)
        self._key_of[record.id] = key
        self._by_id[record.id] = record
        return record

    def put(self, record: R) -> R:
        """Replace a record by its new version (same id, same place in the order)."""
        if record.id not in self._by_id:
            raise KeyError(record.id)
        self._by_id[record.id] = record
        return record

    def remove(self, object_id: str) -> R:
        """Take a record out for good (a deleted invoice item)."""
        record = self._by_id.pop(object_id)
        key = self._key_of.pop(object_id)
        at = bisect.bisect_left(self._keys, key)
        del self._keys[at]
        del self._ids[at]
        return record

    def key(self, object_id: str) -> Key | None:
        return self._key_of.get(object_id)

    def position(self, object_id: str) -> int | None:
        key = self._key_of.get(object_id)
        if key is None:
            return None
        return bisect.bisect_left(self._keys, key)

    def bounds(self, created_min: int | None, created_max: int | None) -> tuple[int, int]:
        """Index range [lo, hi) of records with created_min <= created <= created_max."""
        lo = 0 if created_min is None else bisect.bisect_left(self._keys, (created_min, -1))
        hi = (len(self._keys) if created_max is None
              else bisect.bisect_left(self._keys, (created_max + 1, -1)))
        return lo, hi

    def at(self, index: int) -> R:
        return self._by_id[self._ids[index]]

    def newest_first(self) -> Iterator[R]:
        for object_id in reversed(self._ids):
            yield self._by_id[object_id]

    def values(self) -> list[R]:
        """Oldest first."""
        return [self._by_id[object_id] for object_id in self._ids]


@dataclass(frozen=True, slots=True)
class SentInvoice:
    """One invoice e-mailed to its customer by ``/send``."""

    invoice: str
    number: str | None
    to: str
    at: int
    request_id: str | None


class Store:
    """Every object of the simulated account, and the means to add more."""

    def __init__(self, *, seed: int = 0, clock: SimClock | None = None,
                 account: Account | None = None) -> None:
        self.lock = threading.RLock()
        self.account = account or Account()
        """The currencies the account settles in (:mod:`.account`)."""
        self.clock = clock or SimClock()
        self._rng = random.Random(seed)
        self._seq = 0
        self.customers: Collection[r.Customer] = Collection("customer")
        self.invoices: Collection[r.Invoice] = Collection("invoice")
        self.invoiceitems: Collection[r.InvoiceItem] = Collection("invoiceitem")
        self.invoice_payments: Collection[r.InvoicePayment] = Collection("invoice_payment")
        self.payment_intents: Collection[r.PaymentIntent] = Collection("payment_intent")
        self.charges: Collection[r.Charge] = Collection("charge")
        self.refunds: Collection[r.Refund] = Collection("refund")
        self.credit_notes: Collection[r.CreditNote] = Collection("credit_note")
        self.balance_transactions: Collection[r.BalanceTransaction] = Collection(
            "balance_transaction")
        self.payouts: Collection[r.Payout] = Collection("payout")
        self.disputes: Collection[r.Dispute] = Collection("dispute")
        self.events: Collection[r.Event] = Collection("event")
        self.payments_of_invoice: dict[str, list[str]] = {}
        self.payments_of_intent: dict[str, list[str]] = {}
        self.credit_notes_of_invoice: dict[str, list[str]] = {}
        self.charge_of_intent: dict[str, str] = {}
        self.unsettled: dict[str, list[str]] = {}
        """Balance transactions not yet paid out, by currency (oldest first)."""
        self.settled_by: dict[str, list[str]] = {}
        """The balance transactions each automatic payout settled (its own included)."""
        self.number_counter = 0
        self.sent_invoices: list[SentInvoice] = []
        """Every e-mail ``POST /v1/invoices/{id}/send`` would have sent, in order (test mode
        sends none: this is how a test sees what went)."""
        self.event_listeners: list[EventListener] = []
        self.emit_events = True
        """Seeding far in the past may switch events off (they would be out of retention)."""

    def now(self) -> int:
        return self.clock.now()

    def new_id(self, prefix: str, length: int = 24) -> str:
        with self.lock:
            raw = base64.b64encode(self._rng.randbytes(length)).translate(_ALPHANUMERIC)
            return prefix + raw[:length].decode()

    def random(self) -> random.Random:
        """The store's seeded generator (for ids, fingerprints, secrets)."""
        return self._rng

    def add(self, collection: Collection[R], record: R) -> R:
        with self.lock:
            self._seq += 1
            return collection.add(record, self._seq)

    def subset(self, collection: Collection[R], ids: list[str]) -> Collection[R]:
        """A collection of some of ``collection``'s records, in the same order
        (to page through an index instead of filtering everything)."""
        with self.lock:
            part: Collection[R] = Collection(collection.kind)
            for object_id in ids:
                record = collection.get(object_id)
                key = collection.key(object_id)
                if record is not None and key is not None:
                    part.add(record, key[1])
            return part

    def collection_for_id(self, object_id: str) -> Collection[Any] | None:
        """The collection an id belongs to, by its prefix (for ``expand``)."""
        prefix = object_id.split("_", 1)[0] + "_"
        collections: dict[str, Collection[Any]] = {
            "cus_": self.customers, "in_": self.invoices, "ii_": self.invoiceitems,
            "inpay_": self.invoice_payments, "pi_": self.payment_intents, "ch_": self.charges,
            "re_": self.refunds, "cn_": self.credit_notes, "txn_": self.balance_transactions,
            "po_": self.payouts, "evt_": self.events, "dp_": self.disputes,
        }
        return collections.get(prefix)
