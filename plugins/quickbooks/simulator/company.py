"""One QuickBooks company (a realm): its objects and the business rules on them.

Not thread-safe by itself: :class:`~.app.QboSimulator` holds one lock around
every call. Objects are kept exactly as the API returns them (amounts as
``Decimal``); every read hands out a deep copy.

What the real API does that is kept here:

- writes ignore read-only and computed fields (``TotalAmt``, ``Balance``,
  ``MetaData``, ``LinkedTxn`` of invoices, ``UnappliedAmt``...) and empty
  strings, as python-quickbooks sends them all;
- invoice and credit memo totals come from their lines: sales lines (Amount,
  or Qty x UnitPrice; 6070 when both disagree), discount lines, a computed
  ``SubTotalLineDetail`` line, plus ``TxnTaxDetail.TotalTax``;
- a payment's lines apply it to invoices (and credit memos): the invoices'
  ``Balance`` and ``LinkedTxn`` follow, ``UnappliedAmt`` is what is left;
  applying more than a balance, to another customer's invoice or across
  currencies is a ValidationFault naming the problem;
- an invoice whose balance or links change gets a new ``SyncToken`` and
  ``LastUpdatedTime`` (so an incremental query sees it);
- every update checks ``SyncToken`` (5010 when stale); ``sparse: true``
  changes only the fields given; a full update replaces the writable fields;
- deleting a transaction keeps a tombstone for CDC; customers and items are
  never deleted, they are made inactive (``Active: false``), as in QuickBooks.

The rules of each kind of object are beside this module: :mod:`.name_lists`
(customers and items), :mod:`.sales_forms` (invoices and credit memos),
:mod:`.payments` (payments and what they apply), :mod:`.transactions` (what
the three transactions share); this one keeps the objects, their ids,
``SyncToken`` and ``MetaData``, tombstones and the change log.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from plugins.quickbooks.simulator import errors
from plugins.quickbooks.simulator.clock import SimClock
from plugins.quickbooks.simulator.name_lists import build_customer, build_item
from plugins.quickbooks.simulator.payments import apply_payments, build_payment
from plugins.quickbooks.simulator.sales_forms import build_sales_form
from plugins.quickbooks.simulator.wire import ZERO

ENTITIES = ("Customer", "Item", "Invoice", "Payment", "CreditMemo")
NAME_LISTS = frozenset({"Customer", "Item"})
TRANSACTIONS = frozenset({"Invoice", "Payment", "CreditMemo"})

READ_ONLY = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status",
                       "FullyQualifiedName", "Balance", "BalanceWithJobs", "TotalAmt",
                       "HomeBalance", "HomeTotalAmt", "UnappliedAmt", "RemainingCredit",
                       "LinkedTxn", "Deposit", "V4IDPseudonym", "InvoiceLink", "Level",
                       "TxnStatus"})
"""Top-level fields a write never sets (the API computes or ignores them), except
``TotalAmt`` of a payment, which the caller gives."""


def read_only(entity: str) -> frozenset[str]:
    return READ_ONLY - {"TotalAmt"} if entity == "Payment" else READ_ONLY


@dataclass(frozen=True)
class Change:
    """One recorded change, for CDC and webhooks."""

    entity: str
    id: str
    operation: str  # Create | Update | Delete | Void
    time: str


@dataclass
class Company:
    realm_id: str
    clock: SimClock
    name: str = "Sandbox Company_US_1"
    home_currency: str = "USD"
    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {e: {} for e in ENTITIES})
    tombstones: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {e: {} for e in ENTITIES})
    changes: list[Change] = field(default_factory=list)
    next_id: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITIES, 1))
    next_doc_number: int = 1001

    # -- reading ---------------------------------------------------------------------

    def get(self, entity: str, object_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._live(entity, object_id))

    def _live(self, entity: str, object_id: str) -> dict[str, Any]:
        obj = self.objects[entity].get(str(object_id).strip())
        if obj is None:
            raise errors.not_found(entity, str(object_id))
        return obj

    def all(self, entity: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        found = [copy.deepcopy(o) for o in self.objects[entity].values()]
        if include_deleted:
            found += [copy.deepcopy(o) for o in self.tombstones[entity].values()]
        found.sort(key=lambda o: int(o["Id"]))
        return found

    # -- writing ---------------------------------------------------------------------

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        values = _clean(body, read_only(entity))
        obj = self._build(entity, values, previous=None)
        obj["Id"] = str(self.next_id[entity])
        self.next_id[entity] += 1
        now = self.clock.stamp()
        obj["SyncToken"] = "0"
        obj["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
        self.objects[entity][obj["Id"]] = obj
        self.record(entity, obj["Id"], "Create", now)
        self._after_write(entity, obj, previous=None)
        return copy.deepcopy(obj)

    def update(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        object_id = body.get("Id")
        if object_id in (None, ""):
            raise errors.required("Id")
        current = self._live(entity, str(object_id))
        self._check_sync_token(entity, current, body)
        values = _clean(body, read_only(entity))
        if body.get("sparse") is True:
            merged = {k: copy.deepcopy(v) for k, v in current.items()
                      if k not in read_only(entity)}
            merged.update(values)
            values = merged
        else:
            for keep in ("DocNumber", "TxnDate"):
                if keep in current and keep not in values:
                    values[keep] = current[keep]
        obj = self._build(entity, values, previous=current)
        obj["Id"] = current["Id"]
        now = self.clock.stamp()
        obj["SyncToken"] = str(int(current["SyncToken"]) + 1)
        obj["MetaData"] = {"CreateTime": current["MetaData"]["CreateTime"],
                           "LastUpdatedTime": now}
        self.objects[entity][obj["Id"]] = obj
        self.record(entity, obj["Id"], "Update", now)
        self._after_write(entity, obj, previous=current)
        return copy.deepcopy(obj)

    def delete(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        object_id = str(body.get("Id") or "")
        current = self._live(entity, object_id)
        if "SyncToken" in body:
            self._check_sync_token(entity, current, body)
        if entity in NAME_LISTS:
            return self.update(entity, {"Id": object_id, "SyncToken": current["SyncToken"],
                                        "sparse": True, "Active": False})
        self._refuse_if_applied(entity, current, "deleted")
        now = self.clock.stamp()
        del self.objects[entity][object_id]
        self.tombstones[entity][object_id] = {
            "domain": "QBO", "status": "Deleted", "Id": object_id,
            "MetaData": {"LastUpdatedTime": now}}
        self.record(entity, object_id, "Delete", now)
        apply_payments(self, now)  # invoices' balances and customers' balances follow
        return {"domain": "QBO", "status": "Deleted", "Id": object_id}

    def void(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if entity not in TRANSACTIONS:
            raise errors.unsupported(f"Operation void is not supported for {entity}")
        object_id = str(body.get("Id") or "")
        current = self._live(entity, object_id)
        if "SyncToken" in body:
            self._check_sync_token(entity, current, body)
        self._refuse_if_applied(entity, current, "voided")
        obj = copy.deepcopy(current)
        for line in obj.get("Line", []):
            line["Amount"] = ZERO
            detail = line.get("SalesItemLineDetail")
            if isinstance(detail, dict) and "Qty" in detail:
                detail["Qty"] = ZERO
        if entity == "Payment":
            obj["Line"] = []
            obj["UnappliedAmt"] = ZERO
        else:
            obj["Balance"] = ZERO
            obj.setdefault("TxnTaxDetail", {})["TotalTax"] = ZERO
        if entity == "CreditMemo":
            obj["RemainingCredit"] = ZERO
        obj["TotalAmt"] = ZERO
        if "HomeTotalAmt" in obj:
            obj["HomeTotalAmt"] = ZERO
        if "HomeBalance" in obj:
            obj["HomeBalance"] = ZERO
        obj["PrivateNote"] = "Voided"
        now = self.clock.stamp()
        obj["SyncToken"] = str(int(current["SyncToken"]) + 1)
        obj["MetaData"] = {**current["MetaData"], "LastUpdatedTime": now}
        self.objects[entity][object_id] = obj
        self.record(entity, object_id, "Void", now)
        apply_payments(self, now)  # invoices' balances and customers' balances follow
        return copy.deepcopy(obj)

    # -- change data capture -----------------------------------------------------------

    def changed_since(self, entity: str, since: float) -> list[dict[str, Any]]:
        from plugins.quickbooks.simulator.clock import parse_time

        found = [o for o in self.objects[entity].values()
                 if parse_time(o["MetaData"]["LastUpdatedTime"]).timestamp() >= since]
        found += [t for t in self.tombstones[entity].values()
                  if parse_time(t["MetaData"]["LastUpdatedTime"]).timestamp() >= since]
        found.sort(key=lambda o: (parse_time(o["MetaData"]["LastUpdatedTime"]), int(o["Id"])))
        return [copy.deepcopy(o) for o in found]

    # -- internals ---------------------------------------------------------------------

    def record(self, entity: str, object_id: str, operation: str, now: str) -> None:
        """Log one change (for CDC and webhooks)."""
        self.changes.append(Change(entity, object_id, operation, now))

    def _check_sync_token(self, entity: str, current: dict[str, Any],
                          body: dict[str, Any]) -> None:
        given = body.get("SyncToken")
        if given is None or given == "":
            raise errors.required("SyncToken")
        if str(given).strip() != current["SyncToken"]:
            raise errors.stale(entity, current["Id"], str(given), int(current["SyncToken"]))

    def _refuse_if_applied(self, entity: str, current: dict[str, Any], what: str) -> None:
        if entity == "Invoice" and current.get("LinkedTxn"):
            payments = ", ".join(t["TxnId"] for t in current["LinkedTxn"])
            raise errors.business(f"Invoice {current['Id']} has payments applied ({payments}); "
                                  f"it cannot be {what} until they are removed", "LinkedTxn")
        if entity == "CreditMemo" and current.get("RemainingCredit") != current.get("TotalAmt"):
            raise errors.business(f"Credit memo {current['Id']} is applied to invoices; it "
                                  f"cannot be {what} until the payments using it are removed")

    def _build(self, entity: str, values: dict[str, Any],
               previous: dict[str, Any] | None) -> dict[str, Any]:
        if entity == "Customer":
            return build_customer(self, values, previous)
        if entity == "Item":
            return build_item(self, values, previous)
        if entity in ("Invoice", "CreditMemo"):
            return build_sales_form(self, entity, values, previous)
        return build_payment(self, values, previous)

    def _after_write(self, entity: str, obj: dict[str, Any],
                     previous: dict[str, Any] | None) -> None:
        if entity in TRANSACTIONS:
            apply_payments(self, obj["MetaData"]["LastUpdatedTime"])


def _clean(value: dict[str, Any], skip: frozenset[str]) -> dict[str, Any]:
    """Drop what python-quickbooks sends but QuickBooks ignores: empty strings, nulls
    and the read-only top-level fields ``skip``."""
    return {k: _drop_empty(v) for k, v in value.items()
            if v is not None and v != "" and k not in skip}


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value
