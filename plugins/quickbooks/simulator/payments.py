"""Payments, and what they apply to invoices and credit memos.

A payment's lines apply it to invoices (and use credit memos): applying more
than an invoice's balance or a memo's remaining credit, to another customer's
document or across currencies is a ValidationFault naming the problem, and
``UnappliedAmt`` is what is left. After every create, update, delete or void
of a transaction, :func:`apply_payments` recomputes every invoice's
``Balance`` and ``LinkedTxn``, every credit memo's ``RemainingCredit`` (a
document that changes gets a new ``SyncToken`` and ``LastUpdatedTime``, so
an incremental query sees it) and every customer's ``Balance``.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from plugins.quickbooks.simulator import errors
from plugins.quickbooks.simulator.transactions import (
    currency_and_rate,
    currency_ref,
    customer_ref,
    date_text,
)
from plugins.quickbooks.simulator.wire import ZERO, money, to_decimal

if TYPE_CHECKING:
    from plugins.quickbooks.simulator.company import Company


def build_payment(company: Company, values: dict[str, Any],
                  previous: dict[str, Any] | None) -> dict[str, Any]:
    customer = customer_ref(company, values)
    currency, rate = currency_and_rate(company, values, customer)
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
        target = company.objects[kind].get(str(link["TxnId"]))
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
        available = _open_amount(company, kind, target, own_id)
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
        "TxnDate": date_text(values.get("TxnDate"), "TxnDate") or company.clock.today(),
        "CurrencyRef": currency_ref(currency),
    }
    if currency != company.home_currency:
        obj["ExchangeRate"] = rate
    for key in ("PaymentRefNum", "PrivateNote"):
        if values.get(key):
            obj[key] = str(values[key])
    if isinstance(values.get("PaymentMethodRef"), dict):
        obj["PaymentMethodRef"] = copy.deepcopy(values["PaymentMethodRef"])
    obj["Line"] = lines
    return obj


def _open_amount(company: Company, kind: str, target: dict[str, Any],
                 payment_id: str | None) -> Decimal:
    """What may still be applied to ``target``, counting back what payment
    ``payment_id`` (being updated) already applies to it."""
    already = ZERO
    if payment_id is not None:
        payment = company.objects["Payment"].get(payment_id)
        for line in (payment or {}).get("Line", []):
            for link in line["LinkedTxn"]:
                if link["TxnType"] == kind and link["TxnId"] == target["Id"]:
                    already += line["Amount"]
    held: Decimal = target["Balance"] if kind == "Invoice" else target["RemainingCredit"]
    return held + already


def apply_payments(company: Company, now: str) -> None:
    """Recompute every invoice's Balance/LinkedTxn and credit memo's RemainingCredit
    from the payments; bump the ones that changed."""
    paid: dict[tuple[str, str], Decimal] = {}
    links: dict[tuple[str, str], list[str]] = {}
    for payment in sorted(company.objects["Payment"].values(), key=lambda p: int(p["Id"])):
        for line in payment.get("Line", []):
            for link in line["LinkedTxn"]:
                key = (link["TxnType"], link["TxnId"])
                paid[key] = paid.get(key, ZERO) + line["Amount"]
                if payment["Id"] not in links.setdefault(key, []):
                    links[key].append(payment["Id"])
    for kind in ("Invoice", "CreditMemo"):
        for obj in company.objects[kind].values():
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
            company.record(kind, obj["Id"], "Update", now)
    _customer_balances(company)


def _customer_balances(company: Company) -> None:
    owed: dict[str, Decimal] = {}
    for invoice in company.objects["Invoice"].values():
        customer = invoice["CustomerRef"]["value"]
        owed[customer] = owed.get(customer, ZERO) + invoice["Balance"]
    for customer in company.objects["Customer"].values():
        customer["Balance"] = owed.get(customer["Id"], ZERO)
        customer["BalanceWithJobs"] = customer["Balance"]
