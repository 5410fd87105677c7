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
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from plugins.quickbooks.simulator import errors
from plugins.quickbooks.simulator.clock import SimClock
from plugins.quickbooks.simulator.wire import money, to_decimal

ENTITIES = ("Customer", "Item", "Invoice", "Payment", "CreditMemo")
NAME_LISTS = frozenset({"Customer", "Item"})
TRANSACTIONS = frozenset({"Invoice", "Payment", "CreditMemo"})
ZERO = Decimal(0)

CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
                  "CAD": "Canadian Dollar"}
EXCHANGE_RATES = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")}
"""Home-currency value of one unit, used when a foreign transaction gives none."""

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
        self._record(entity, obj["Id"], "Create", now)
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
        self._record(entity, obj["Id"], "Update", now)
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
        self._record(entity, object_id, "Delete", now)
        self._apply_payments(now)  # invoices' balances and customers' balances follow
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
        self._record(entity, object_id, "Void", now)
        self._apply_payments(now)  # invoices' balances and customers' balances follow
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

    def _record(self, entity: str, object_id: str, operation: str, now: str) -> None:
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
            return self._customer(values, previous)
        if entity == "Item":
            return self._item(values, previous)
        if entity in ("Invoice", "CreditMemo"):
            return self._sales_form(entity, values, previous)
        return self._payment(values, previous)

    def _after_write(self, entity: str, obj: dict[str, Any],
                     previous: dict[str, Any] | None) -> None:
        if entity in TRANSACTIONS:
            self._apply_payments(obj["MetaData"]["LastUpdatedTime"])

    def _unique_name(self, entity: str, key: str, name: str, own_id: str | None) -> None:
        for other in self.objects[entity].values():
            if other[key].lower() == name.lower() and other["Id"] != own_id:
                raise errors.validation(
                    "6240", "Duplicate Name Exists Error",
                    f"The name supplied already exists. : Another {entity.lower()} is "
                    f"already using this name ({other['Id']}). Please use a different name.",
                    key)

    def _customer(self, values: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
        parts = [values.get(k, "") for k in ("Title", "GivenName", "MiddleName", "FamilyName",
                                             "Suffix")]
        display = (values.get("DisplayName") or " ".join(p for p in parts if p).strip()
                   or values.get("CompanyName", ""))
        if not display:
            raise errors.validation("6080", "No Name Provided", "Title, GivenName, MiddleName, "
                                    "FamilyName, DisplayName, Suffix - one of these must be "
                                    "non-empty", "DisplayName")
        self._unique_name("Customer", "DisplayName", display,
                          previous["Id"] if previous else None)
        currency = _currency_code(values.get("CurrencyRef")) or self.home_currency
        if previous and currency != previous["CurrencyRef"]["value"]:
            raise errors.business("a customer's currency cannot change", "CurrencyRef")
        obj: dict[str, Any] = {}
        for key in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "CompanyName"):
            if values.get(key):
                obj[key] = values[key]
        obj["DisplayName"] = display
        obj["FullyQualifiedName"] = display
        obj["PrintOnCheckName"] = values.get("PrintOnCheckName") or display
        for key in ("PrimaryEmailAddr", "PrimaryPhone", "Mobile", "WebAddr", "Notes",
                    "BillAddr", "ShipAddr", "SalesTermRef", "PaymentMethodRef"):
            if values.get(key):
                obj[key] = copy.deepcopy(values[key])
        for address in ("BillAddr", "ShipAddr"):
            if address in obj:
                serial = 2 * len(self.objects["Customer"]) + (address == "ShipAddr")
                obj[address].setdefault("Id", str(100 + serial))
        obj["Active"] = bool(values.get("Active", True))
        obj["Taxable"] = bool(values.get("Taxable", False))
        obj["Job"] = False
        obj["BillWithParent"] = False
        obj["Balance"] = previous["Balance"] if previous else ZERO
        obj["BalanceWithJobs"] = obj["Balance"]
        obj["CurrencyRef"] = _currency_ref(currency)
        obj["PreferredDeliveryMethod"] = values.get("PreferredDeliveryMethod") or "Print"
        obj["IsProject"] = False
        obj["ClientEntityId"] = "0"
        obj["domain"] = "QBO"
        obj["sparse"] = False
        return obj

    def _item(self, values: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
        name = values.get("Name") or ""
        if not name:
            raise errors.required("Name")
        self._unique_name("Item", "Name", name, previous["Id"] if previous else None)
        obj: dict[str, Any] = {"Name": name}
        if values.get("Description"):
            obj["Description"] = values["Description"]
        obj["Active"] = bool(values.get("Active", True))
        obj["FullyQualifiedName"] = name
        obj["Taxable"] = bool(values.get("Taxable", False))
        obj["UnitPrice"] = money(to_decimal(values.get("UnitPrice")) or ZERO)
        obj["Type"] = values.get("Type") or "Service"
        obj["IncomeAccountRef"] = copy.deepcopy(
            values.get("IncomeAccountRef") or {"value": "1", "name": "Services"})
        obj["PurchaseCost"] = money(to_decimal(values.get("PurchaseCost")) or ZERO)
        obj["TrackQtyOnHand"] = bool(values.get("TrackQtyOnHand", False))
        obj["domain"] = "QBO"
        obj["sparse"] = False
        return obj

    def _customer_ref(self, values: dict[str, Any]) -> dict[str, Any]:
        ref = values.get("CustomerRef")
        value = ref.get("value") if isinstance(ref, dict) else None
        if not value:
            raise errors.required("CustomerRef", "CustomerRef is missing in the request")
        customer = self.objects["Customer"].get(str(value))
        if customer is None:
            raise errors.invalid_reference("CustomerRef", str(value))
        return customer

    def _currency(self, values: dict[str, Any], customer: dict[str, Any]) -> tuple[str, Decimal]:
        currency = _currency_code(values.get("CurrencyRef")) or customer["CurrencyRef"]["value"]
        if currency != customer["CurrencyRef"]["value"]:
            raise errors.business(
                f"The currency {currency} is not the currency of customer {customer['Id']} "
                f"({customer['CurrencyRef']['value']})", "CurrencyRef")
        if currency == self.home_currency:
            return currency, Decimal(1)
        rate = to_decimal(values.get("ExchangeRate"))
        if rate is None or rate <= 0 or rate == 1:
            rate = EXCHANGE_RATES.get(currency, Decimal(1))
        return currency, rate

    def _sales_form(self, entity: str, values: dict[str, Any],
                    previous: dict[str, Any] | None) -> dict[str, Any]:
        customer = self._customer_ref(values)
        currency, rate = self._currency(values, customer)
        lines: list[dict[str, Any]] = []
        subtotal = ZERO
        discount = ZERO
        raw_lines = values.get("Line") or []
        if not isinstance(raw_lines, list):
            raise errors.invalid_request("Line must be a list", "Line")
        sales = [x for x in raw_lines if isinstance(x, dict)
                 and x.get("DetailType") not in ("SubTotalLineDetail", "DiscountLineDetail")]
        if not sales:
            raise errors.required("Line", "Required parameter Line is missing in the request: "
                                  f"an {entity} needs at least one line")
        for number, raw in enumerate(sales, start=1):
            line = self._sales_line(raw, number)
            subtotal += line["Amount"]
            lines.append(line)
        for raw in raw_lines:
            if isinstance(raw, dict) and raw.get("DetailType") == "DiscountLineDetail":
                detail = raw.get("DiscountLineDetail") or {}
                percent = to_decimal(detail.get("DiscountPercent"))
                if detail.get("PercentBased") and percent:
                    amount = money(subtotal * percent / 100)
                    out_detail = {"PercentBased": True, "DiscountPercent": percent}
                else:
                    amount = money(to_decimal(raw.get("Amount")) or ZERO)
                    out_detail = {"PercentBased": False}
                if "DiscountAccountRef" in detail:
                    out_detail["DiscountAccountRef"] = detail["DiscountAccountRef"]
                discount += amount
                lines.append({"Amount": amount, "DetailType": "DiscountLineDetail",
                              "DiscountLineDetail": out_detail})
        lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail",
                      "SubTotalLineDetail": {}})
        tax_detail = values.get("TxnTaxDetail") or {}
        tax = money(to_decimal(tax_detail.get("TotalTax")) or ZERO)
        total = subtotal - discount + tax
        if total < 0:
            raise errors.business(f"the {entity} total would be negative ({total})",
                                  "TotalAmt")
        txn_date = _date_text(values.get("TxnDate"), "TxnDate") or self.clock.today()
        obj: dict[str, Any] = {}
        if entity == "Invoice":
            obj["AllowIPNPayment"] = False
            obj["AllowOnlinePayment"] = False
            obj["AllowOnlineCreditCardPayment"] = False
            obj["AllowOnlineACHPayment"] = False
        obj["domain"] = "QBO"
        obj["sparse"] = False
        obj["CustomField"] = []
        obj["DocNumber"] = str(values.get("DocNumber") or self._doc_number())
        obj["TxnDate"] = txn_date
        obj["CurrencyRef"] = _currency_ref(currency)
        if currency != self.home_currency:
            obj["ExchangeRate"] = rate
        if values.get("PrivateNote"):
            obj["PrivateNote"] = values["PrivateNote"]
        obj["LinkedTxn"] = copy.deepcopy(previous.get("LinkedTxn", [])) if previous else []
        obj["Line"] = lines
        obj["TxnTaxDetail"] = {"TotalTax": tax}
        if isinstance(tax_detail.get("TxnTaxCodeRef"), dict):
            obj["TxnTaxDetail"]["TxnTaxCodeRef"] = tax_detail["TxnTaxCodeRef"]
        obj["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
        if values.get("CustomerMemo"):
            obj["CustomerMemo"] = values["CustomerMemo"]
        bill_addr = values.get("BillAddr") or customer.get("BillAddr")
        if bill_addr:
            obj["BillAddr"] = copy.deepcopy(bill_addr)
        ship_addr = values.get("ShipAddr") or customer.get("ShipAddr")
        if ship_addr:
            obj["ShipAddr"] = copy.deepcopy(ship_addr)
        obj["FreeFormAddress"] = False
        if entity == "Invoice":
            due = (_date_text(values.get("DueDate"), "DueDate")
                   or (date.fromisoformat(txn_date) + timedelta(days=30)).isoformat())
            obj["DueDate"] = due
        obj["TotalAmt"] = total
        if currency != self.home_currency:
            obj["HomeTotalAmt"] = money(total * rate)
        obj["ApplyTaxAfterDiscount"] = False
        obj["PrintStatus"] = values.get("PrintStatus") or "NeedToPrint"
        obj["EmailStatus"] = values.get("EmailStatus") or "NotSet"
        email = values.get("BillEmail") or customer.get("PrimaryEmailAddr")
        if isinstance(email, dict) and email.get("Address"):
            obj["BillEmail"] = {"Address": email["Address"]}
        if entity == "Invoice":
            applied = (previous["TotalAmt"] - previous["Balance"]) if previous else ZERO
            if total < applied:
                raise errors.business(f"the invoice total {total} would be less than the "
                                      f"payments applied to it ({applied})", "TotalAmt")
            obj["Balance"] = total - applied
            if currency != self.home_currency:
                obj["HomeBalance"] = money(obj["Balance"] * rate)
            obj["Deposit"] = ZERO
        else:
            used = (previous["TotalAmt"] - previous["RemainingCredit"]) if previous else ZERO
            if total < used:
                raise errors.business(f"the credit memo total {total} would be less than the "
                                      f"credit already used ({used})", "TotalAmt")
            obj["RemainingCredit"] = total - used
            obj["Balance"] = ZERO
        return obj

    def _sales_line(self, raw: dict[str, Any], number: int) -> dict[str, Any]:
        kind = raw.get("DetailType") or "SalesItemLineDetail"
        if kind == "DescriptionOnly":
            return {"Id": str(number), "LineNum": number,
                    "Description": raw.get("Description", ""), "Amount": ZERO,
                    "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}
        if kind != "SalesItemLineDetail":
            raise errors.invalid_request(f"Line {number}: DetailType {kind} is not supported "
                                         "by the simulator", "Line.DetailType")
        detail = raw.get("SalesItemLineDetail") or {}
        item_ref: dict[str, Any] = (detail["ItemRef"] if isinstance(detail.get("ItemRef"), dict)
                                    else {})
        item_id = str(item_ref.get("value") or "1")
        item = self.objects["Item"].get(item_id)
        if item is None:
            raise errors.invalid_reference("Line.SalesItemLineDetail.ItemRef", item_id)
        qty = to_decimal(detail.get("Qty")) or ZERO
        price = to_decimal(detail.get("UnitPrice")) or ZERO
        amount = to_decimal(raw.get("Amount")) or ZERO
        if amount == 0 and qty and price:
            amount = money(qty * price)
        elif qty and price and money(qty * price) != money(amount):
            raise errors.validation("6070", "Amount calculation incorrect in the request",
                                    f"Amount is not equal to UnitPrice * Qty. Supplied value:"
                                    f"{amount}", "Line.Amount")
        if amount < 0:
            raise errors.business(f"line {number} has a negative amount", "Line.Amount")
        out_detail: dict[str, Any] = {"ItemRef": {"value": item["Id"], "name": item["Name"]}}
        if price:
            out_detail["UnitPrice"] = price
        if qty:
            out_detail["Qty"] = int(qty) if qty == qty.to_integral_value() else qty
        if detail.get("ServiceDate"):
            out_detail["ServiceDate"] = _date_text(detail["ServiceDate"], "ServiceDate")
        tax_code = detail.get("TaxCodeRef")
        out_detail["TaxCodeRef"] = ({"value": tax_code["value"]}
                                    if isinstance(tax_code, dict) and tax_code.get("value")
                                    else {"value": "NON"})
        line: dict[str, Any] = {"Id": str(number), "LineNum": number}
        if raw.get("Description"):
            line["Description"] = raw["Description"]
        line["Amount"] = money(amount)
        line["DetailType"] = "SalesItemLineDetail"
        line["SalesItemLineDetail"] = out_detail
        return line

    def _payment(self, values: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
        customer = self._customer_ref(values)
        currency, rate = self._currency(values, customer)
        total = to_decimal(values.get("TotalAmt"))
        if total is None:
            raise errors.required("TotalAmt")
        total = money(total)
        if total < 0:
            raise errors.business("a payment's TotalAmt cannot be negative", "TotalAmt")
        own_id = previous["Id"] if previous else None
        lines: list[dict[str, Any]] = []
        applied = ZERO
        credits = ZERO
        for number, raw in enumerate(values.get("Line") or [], start=1):
            if not isinstance(raw, dict):
                continue
            amount = money(to_decimal(raw.get("Amount")) or ZERO)
            links = [x for x in raw.get("LinkedTxn") or [] if isinstance(x, dict)
                     and x.get("TxnId") not in (None, "", 0, "0")]
            if amount <= 0 or not links:
                raise errors.business(f"payment line {number} needs a positive Amount and a "
                                      "LinkedTxn to an invoice or credit memo", "Line")
            link = links[0]
            kind = str(link.get("TxnType") or "Invoice")
            if kind not in ("Invoice", "CreditMemo"):
                raise errors.business(f"payment line {number} links a {kind}; only Invoice "
                                      "and CreditMemo can be paid or used", "Line.LinkedTxn")
            target = self.objects[kind].get(str(link["TxnId"]))
            if target is None:
                raise errors.invalid_reference("Line.LinkedTxn.TxnId", str(link["TxnId"]))
            if target["CustomerRef"]["value"] != customer["Id"]:
                raise errors.validation("620", "Transaction Cannot Be Linked",
                                        f"TxnID Cannot Be Linked : {kind} {target['Id']} "
                                        f"belongs to customer {target['CustomerRef']['value']}, "
                                        f"not to customer {customer['Id']}", "Line.LinkedTxn")
            if target["CurrencyRef"]["value"] != currency:
                raise errors.business(
                    f"payment line {number}: the payment is in {currency} but {kind} "
                    f"{target['Id']} is in {target['CurrencyRef']['value']}; a payment cannot "
                    "mix currencies", "Line.LinkedTxn")
            available = self._open_amount(kind, target, own_id)
            if amount > available:
                what = "balance" if kind == "Invoice" else "remaining credit"
                raise errors.business(
                    f"payment line {number} applies {amount} to {kind} {target['Id']}, more "
                    f"than its {what} of {available}", "Line.Amount")
            if kind == "Invoice":
                applied += amount
            else:
                credits += amount
            lines.append({"Amount": amount, "LinkedTxn": [
                {"TxnId": target["Id"], "TxnType": kind}]})
        if applied > total + credits:
            raise errors.business(f"the lines apply {applied}, more than the payment's "
                                  f"TotalAmt {total} plus credits {credits}", "TotalAmt")
        obj: dict[str, Any] = {
            "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
            "DepositToAccountRef": copy.deepcopy(values.get("DepositToAccountRef")
                                                 or {"value": "4"}),
            "TotalAmt": total,
            "UnappliedAmt": total + credits - applied,
            "ProcessPayment": False,
            "domain": "QBO",
            "sparse": False,
            "TxnDate": _date_text(values.get("TxnDate"), "TxnDate") or self.clock.today(),
            "CurrencyRef": _currency_ref(currency),
        }
        if currency != self.home_currency:
            obj["ExchangeRate"] = rate
        for key in ("PaymentRefNum", "PrivateNote"):
            if values.get(key):
                obj[key] = str(values[key])
        if isinstance(values.get("PaymentMethodRef"), dict):
            obj["PaymentMethodRef"] = copy.deepcopy(values["PaymentMethodRef"])
        obj["Line"] = lines
        return obj

    def _open_amount(self, kind: str, target: dict[str, Any], payment_id: str | None) -> Decimal:
        """What may still be applied to ``target``, counting back what payment
        ``payment_id`` (being updated) already applies to it."""
        already = ZERO
        if payment_id is not None:
            payment = self.objects["Payment"].get(payment_id)
            for line in (payment or {}).get("Line", []):
                for link in line["LinkedTxn"]:
                    if link["TxnType"] == kind and link["TxnId"] == target["Id"]:
                        already += line["Amount"]
        held: Decimal = target["Balance"] if kind == "Invoice" else target["RemainingCredit"]
        return held + already

    def _apply_payments(self, now: str) -> None:
        """Recompute every invoice's Balance/LinkedTxn and credit memo's RemainingCredit
        from the payments; bump the ones that changed."""
        paid: dict[tuple[str, str], Decimal] = {}
        links: dict[tuple[str, str], list[str]] = {}
        for payment in sorted(self.objects["Payment"].values(), key=lambda p: int(p["Id"])):
            for line in payment.get("Line", []):
                for link in line["LinkedTxn"]:
                    key = (link["TxnType"], link["TxnId"])
                    paid[key] = paid.get(key, ZERO) + line["Amount"]
                    if payment["Id"] not in links.setdefault(key, []):
                        links[key].append(payment["Id"])
        for kind in ("Invoice", "CreditMemo"):
            for obj in self.objects[kind].values():
                key = (kind, obj["Id"])
                linked = [{"TxnId": p, "TxnType": "Payment"} for p in links.get(key, [])]
                remaining = obj["TotalAmt"] - paid.get(key, ZERO)
                field_name = "Balance" if kind == "Invoice" else "RemainingCredit"
                if obj[field_name] == remaining and obj["LinkedTxn"] == linked:
                    continue
                obj[field_name] = remaining
                if kind == "Invoice" and "HomeBalance" in obj:
                    obj["HomeBalance"] = money(remaining * obj["ExchangeRate"])
                obj["LinkedTxn"] = linked
                obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
                obj["MetaData"]["LastUpdatedTime"] = now
                self._record(kind, obj["Id"], "Update", now)
        self._customer_balances()

    def _customer_balances(self) -> None:
        owed: dict[str, Decimal] = {}
        for invoice in self.objects["Invoice"].values():
            customer = invoice["CustomerRef"]["value"]
            owed[customer] = owed.get(customer, ZERO) + invoice["Balance"]
        for customer in self.objects["Customer"].values():
            customer["Balance"] = owed.get(customer["Id"], ZERO)
            customer["BalanceWithJobs"] = customer["Balance"]

    def _doc_number(self) -> str:
        taken = {o.get("DocNumber") for k in ("Invoice", "CreditMemo")
                 for o in self.objects[k].values()}
        while str(self.next_doc_number) in taken:
            self.next_doc_number += 1
        number = str(self.next_doc_number)
        self.next_doc_number += 1
        return number


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


def _currency_code(ref: Any) -> str | None:
    if isinstance(ref, dict) and ref.get("value"):
        return str(ref["value"]).upper()
    return None


def _currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def _date_text(value: Any, element: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError as error:
        raise errors.validation("2070", "Invalid Date",
                                f"Invalid date {value!r} for {element}: expected YYYY-MM-DD",
                                element) from error
