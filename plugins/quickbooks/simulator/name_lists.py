"""Customers and items, QuickBooks' name lists, as a write makes them.

A display name (a customer's) or a name (an item's) is unique in its list,
whatever its case (6240); a customer needs some name (6080) and keeps the
currency it was made with. Neither is ever deleted: deleting makes it
inactive (:meth:`~.company.Company.delete`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from plugins.quickbooks.simulator import errors
from plugins.quickbooks.simulator.transactions import currency_code, currency_ref
from plugins.quickbooks.simulator.wire import ZERO, money, to_decimal

if TYPE_CHECKING:
    from plugins.quickbooks.simulator.company import Company


def build_customer(company: Company, values: dict[str, Any],
                   previous: dict[str, Any] | None) -> dict[str, Any]:
    parts = [values.get(k, "") for k in ("Title", "GivenName", "MiddleName", "FamilyName",
                                         "Suffix")]
    display = (values.get("DisplayName") or " ".join(p for p in parts if p).strip()
               or values.get("CompanyName", ""))
    if not display:
        raise errors.validation("6080", "No Name Provided", "Title, GivenName, MiddleName, "
                                "FamilyName, DisplayName, Suffix - one of these must be "
                                "non-empty", "DisplayName")
    _unique_name(company, "Customer", "DisplayName", display,
                 previous["Id"] if previous else None)
    currency = currency_code(values.get("CurrencyRef")) or company.home_currency
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
            serial = 2 * len(company.objects["Customer"]) + (address == "ShipAddr")
            obj[address].setdefault("Id", str(100 + serial))
    obj["Active"] = bool(values.get("Active", True))
    obj["Taxable"] = bool(values.get("Taxable", False))
    obj["Job"] = False
    obj["BillWithParent"] = False
    obj["Balance"] = previous["Balance"] if previous else ZERO
    obj["BalanceWithJobs"] = obj["Balance"]
    obj["CurrencyRef"] = currency_ref(currency)
    obj["PreferredDeliveryMethod"] = values.get("PreferredDeliveryMethod") or "Print"
    obj["IsProject"] = False
    obj["ClientEntityId"] = "0"
    obj["domain"] = "QBO"
    obj["sparse"] = False
    return obj


def build_item(company: Company, values: dict[str, Any],
               previous: dict[str, Any] | None) -> dict[str, Any]:
    name = values.get("Name") or ""
    if not name:
        raise errors.required("Name")
    _unique_name(company, "Item", "Name", name, previous["Id"] if previous else None)
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


def _unique_name(company: Company, entity: str, key: str, name: str,
                 own_id: str | None) -> None:
    for other in company.objects[entity].values():
        if other[key].lower() == name.lower() and other["Id"] != own_id:
            raise errors.validation(
                "6240", "Duplicate Name Exists Error",
                f"The name supplied already exists. : Another {entity.lower()} is "
                f"already using this name ({other['Id']}). Please use a different name.",
                key)
