"""Stripe objects (as JSON dicts) into canonical records.

Stripe states money as integers in the currency's smallest unit and
currencies in lower case; both are converted by the currency's exponent
(``1234`` usd is 12.34 USD, ``1234`` jpy is 1234 JPY, ``1234`` kwd is
1.234 KWD). An object that cannot be mapped raises :class:`StripePayloadError`
naming the object and the field; :func:`mapped` turns that (or a canonical
validation error) into a :class:`RecordRejected` carrying the object as it came.

Invoices follow API versions from 2025-03-31 on: an invoice has no
``charge`` or ``payment_intent``; which payments paid it is in its
``payments`` list, which the connector reads and passes in as applications.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from hub import (
    CanonicalRecord,
    CreditNote,
    CurrencyError,
    Customer,
    Dispute,
    DisputeStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    Payout,
    RecordRejected,
    Refund,
    currency_exponent,
    from_minor_units,
    normalize_currency,
    record_name,
)

Obj = Mapping[str, Any]

INVOICE_STATUSES = {
    "draft": InvoiceStatus.DRAFT, "open": InvoiceStatus.OPEN, "paid": InvoiceStatus.PAID,
    "void": InvoiceStatus.VOID, "uncollectible": InvoiceStatus.UNCOLLECTIBLE,
}


DISPUTE_STATUSES = {
    "warning_needs_response": DisputeStatus.OPEN, "needs_response": DisputeStatus.OPEN,
    "appeal_needs_response": DisputeStatus.OPEN,
    "warning_under_review": DisputeStatus.UNDER_REVIEW,
    "under_review": DisputeStatus.UNDER_REVIEW, "appeal_under_review": DisputeStatus.UNDER_REVIEW,
    "won": DisputeStatus.WON, "lost": DisputeStatus.LOST,
    "warning_closed": DisputeStatus.WITHDRAWN, "prevented": DisputeStatus.WITHDRAWN,
}
"""Stripe's dispute statuses as the hub's. An inquiry closed without a chargeback, or one
prevented before it became one, is withdrawn; a dispute the account accepted
(``POST /v1/disputes/{id}/close``) is ``lost`` in Stripe, and lost here too."""


class StripePayloadError(ValueError):
    """A Stripe object that does not have the shape or values Stripe documents."""


# ------------------------------------------------------------------------- small readers
def id_of(value: Any) -> str | None:
    """An id whether the field came as the id or, expanded, as the object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _currency(obj: Obj) -> str:
    code = obj.get("currency")
    if not isinstance(code, str):
        raise StripePayloadError(f"currency is {code!r}, not a currency code")
    try:
        return normalize_currency(code)
    except CurrencyError:
        raise StripePayloadError(f"currency {code!r} is not an ISO 4217 code") from None


def _units(obj: Obj, key: str, *, default: int | None = None) -> int:
    value = obj.get(key, default)
    if value is None and default is not None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripePayloadError(
            f"{key} is {value!r}; Stripe amounts are integers in the currency's smallest unit")
    return value


def _money(obj: Obj, key: str, currency: str, *, default: int | None = None) -> Decimal:
    return from_minor_units(_units(obj, key, default=default), currency)


def _rate(obj: Obj) -> Decimal | None:
    """``exchange_rate``: a JSON number (decoded as a float) read back as the Decimal it
    was written as, or None when nothing was converted."""
    value = obj.get("exchange_rate")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StripePayloadError(f"exchange_rate is {value!r}, not a number")
    try:
        rate = Decimal(repr(value) if isinstance(value, float) else str(value))
    except ArithmeticError:
        raise StripePayloadError(f"exchange_rate {value!r} is not a number") from None
    if not rate.is_finite() or rate <= 0:
        raise StripePayloadError(f"exchange_rate {value!r} is not a positive number")
    return rate


def settlement(txn: Obj) -> dict[str, Any]:
    """A charge's balance transaction as a :class:`~hub.Settlement`: amount, fee and net
    in the balance transaction's own currency (the one the account settled in)."""
    cur = _currency(txn)
    return {"currency": cur, "amount": _money(txn, "amount", cur),
            "fee": _money(txn, "fee", cur, default=0), "net": _money(txn, "net", cur),
            "exchange_rate": _rate(txn)}


def _day(obj: Obj, key: str, *, required: bool = True) -> date | None:
    """A Unix timestamp as the UTC calendar day."""
    value = obj.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripePayloadError(f"{key} is {value!r}, not a Unix timestamp")
    return datetime.fromtimestamp(value, UTC).date()


def source_time(obj: Obj) -> datetime | None:
    """The newest time Stripe states on the object: ``created``, and for an object with
    them the ``status_transitions`` (an invoice finalized, paid, voided, marked
    uncollectible) and ``voided_at`` (a credit note). Stripe keeps no time of other edits,
    so a change to an object's metadata keeps its time."""
    stamps: list[Any] = [obj.get("created"), obj.get("voided_at")]
    transitions = obj.get("status_transitions")
    if isinstance(transitions, Mapping):
        stamps.extend(transitions.values())
    seconds = [v for v in stamps if isinstance(v, int) and not isinstance(v, bool)]
    return datetime.fromtimestamp(max(seconds), UTC) if seconds else None


def _metadata(obj: Obj) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    if not isinstance(meta, Mapping):
        raise StripePayloadError(f"metadata is {type(meta).__name__}, not an object")
    return {str(k): str(v) for k, v in meta.items()}


def _list_data(obj: Obj, key: str) -> tuple[list[Obj], bool]:
    """The ``data`` of an embedded list object and whether Stripe cut it short."""
    listed = obj.get(key)
    if listed is None:
        return [], False
    if not isinstance(listed, Mapping) or not isinstance(listed.get("data"), list):
        raise StripePayloadError(f"{key} is not a Stripe list object")
    return list(listed["data"]), bool(listed.get("has_more"))


def _unit_price(line: Obj, currency: str) -> Decimal | None:
    """``unit_amount_decimal`` is in minor units and may carry fractions of one."""
    pricing = line.get("pricing")
    text = line.get("unit_amount_decimal")
    if text is None and isinstance(pricing, Mapping):
        text = pricing.get("unit_amount_decimal")
    if text is None:
        return None
    try:
        return Decimal(str(text)).scaleb(-currency_exponent(currency))
    except ArithmeticError:
        raise StripePayloadError(f"unit_amount_decimal {text!r} is not a number") from None


def _lines(rows: Sequence[Obj], currency: str) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        line: dict[str, Any] = {"amount": _money(row, "amount", currency),
                                "description": row.get("description") or ""}
        quantity = row.get("quantity")
        if isinstance(quantity, int) and not isinstance(quantity, bool):
            line["quantity"] = Decimal(quantity)
        if (price := _unit_price(row, currency)) is not None:
            line["unit_price"] = price
        if isinstance(row.get("currency"), str):
            line["currency"] = _currency(row)
        out.append(line)
    return out


# -------------------------------------------------------------------------- the records
def customer(obj: Obj, source: str) -> Customer:
    """A Stripe customer. A customer without a name is named by e-mail, then by id."""
    name = obj.get("name") or obj.get("email") or obj.get("id")
    currency = _currency(obj) if obj.get("currency") else None
    return Customer.model_validate({
        "source": source, "external_id": obj.get("id"), "raw": dict(obj),
        "source_modified": source_time(obj),
        "name": name, "email": obj.get("email"), "phone": obj.get("phone"),
        "currency": currency, "metadata": _metadata(obj),
    })


def invoice(obj: Obj, source: str, lines: Sequence[Obj] | None = None) -> Invoice:
    """A Stripe invoice; ``lines`` is every line when the connector listed them.

    Discounts become one negative line, so the lines add up to the subtotal
    after discounts; ``tax`` is what Stripe adds on top of that. What brought
    the total down to the amount due (credit notes before payment, the
    customer's credit balance) is ``credited``; the rest of the way down to the
    balance is ``amount_paid``, which includes a payment recorded out of band
    (Stripe's own ``amount_paid`` stays 0 then).
    """
    cur = _currency(obj)
    if lines is None:
        rows, cut = _list_data(obj, "lines")
        if cut:
            raise StripePayloadError(
                "the invoice has more lines than its embedded list holds; "
                "list them all through /v1/invoices/{id}/lines")
    else:
        rows = list(lines)
    mapped_lines = _lines(rows, cur)
    discount = sum((_units(d, "amount") for d in obj.get("total_discount_amounts") or []), 0)
    if discount:
        mapped_lines.append({"description": "Discount",
                             "amount": -from_minor_units(discount, cur)})
    subtotal = _units(obj, "subtotal") - discount
    total = _units(obj, "total")
    stripe_paid, remaining = _units(obj, "amount_paid", default=0), _units(obj, "amount_remaining")
    amount_due = _units(obj, "amount_due", default=total)
    status_text = obj.get("status")
    if status_text not in INVOICE_STATUSES:
        raise StripePayloadError(f"status {status_text!r} is not an invoice status Stripe has")
    status = INVOICE_STATUSES[status_text]
    if stripe_paid + remaining > amount_due or amount_due > total:
        raise StripePayloadError(
            f"amount_paid {stripe_paid} and amount_remaining {remaining} do not fit in the "
            f"amount due {amount_due} of the total {total} ({cur} minor units)")
    # What took the total down to the amount due (credit notes before payment, the
    # customer's credit balance) is credited; what took the amount due down to what
    # remains is paid, through Stripe or, for an invoice paid out of band, elsewhere.
    credited = 0 if status is InvoiceStatus.VOID else total - amount_due
    paid = stripe_paid if status is InvoiceStatus.VOID else amount_due - remaining
    if status is InvoiceStatus.OPEN and paid > 0 and remaining > 0:
        status = InvoiceStatus.PARTIALLY_PAID
    issued = _day(obj, "effective_at", required=False) or _day(obj, "created")
    due = _day(obj, "due_date", required=False)
    terms = None
    if obj.get("collection_method") == "send_invoice" and due is not None and issued:
        terms = f"Net {(due - issued).days}"
    return Invoice.model_validate({
        "source": source, "external_id": obj.get("id"), "raw": dict(obj),
        "source_modified": source_time(obj),
        "number": obj.get("number") or obj.get("id"),
        "customer_ref": id_of(obj.get("customer")), "customer_name": obj.get("customer_name"),
        "issue_date": issued, "due_date": due, "terms": terms, "currency": cur,
        "lines": mapped_lines if rows else [],
        "subtotal": from_minor_units(subtotal, cur),
        "tax": from_minor_units(total - subtotal, cur),
        "total": from_minor_units(total, cur),
        "amount_paid": from_minor_units(paid, cur),
        "credited": from_minor_units(credited, cur),
        "balance": from_minor_units(remaining, cur),
        "status": status, "memo": obj.get("description"), "metadata": _metadata(obj),
    })


def is_payment(charge: Obj) -> bool:
    """Whether a charge is money received (or on its way): captured and not failed."""
    return (charge.get("status") in ("succeeded", "pending") and bool(charge.get("captured"))
            and bool(charge.get("amount_captured")))


def payment(obj: Obj, source: str, applications: Sequence[tuple[str, int]] = ()) -> Payment:
    """A captured Stripe charge; ``applications`` are (invoice id, amount in minor units)
    from the invoices' payments lists.

    When the charge's balance transaction was expanded it is the payment's
    settlement: fee, net and exchange rate in the currency the account settled
    in, which is not the charge's when Stripe converted it (a JPY charge on a
    USD account has a USD fee). The fee in the charge's own currency is then
    left empty rather than read in the wrong currency.
    """
    cur = _currency(obj)
    details = obj.get("billing_details") or {}
    method_details = obj.get("payment_method_details") or {}
    txn = obj.get("balance_transaction")
    settled = settlement(txn) if isinstance(txn, Mapping) else None
    return Payment.model_validate({
        "source": source, "external_id": obj.get("id"), "raw": dict(obj),
        "source_modified": source_time(obj),
        "amount": _money(obj, "amount_captured", cur), "currency": cur,
        "received_date": _day(obj, "created"),
        "method": method_details.get("type") if isinstance(method_details, Mapping) else None,
        "reference": id_of(obj.get("payment_intent")) or obj.get("id"),
        "payer_name": details.get("name") if isinstance(details, Mapping) else None,
        "customer_ref": id_of(obj.get("customer")),
        "applications": [{"invoice_ref": ref, "amount": from_minor_units(units, cur)}
                         for ref, units in applications],
        "settlement": settled, "refunded": _money(obj, "amount_refunded", cur, default=0),
        "status": obj.get("status"), "memo": obj.get("description"),
        "metadata": _metadata(obj),
    })


def refund(obj: Obj, source: str) -> Refund:
    """A Stripe refund of (part of) a charge."""
    cur = _currency(obj)
    return Refund.model_validate({
        "source": source, "external_id": obj.get("id"), "raw": dict(obj),
        "source_modified": source_time(obj),
        "amount": _money(obj, "amount", cur), "currency": cur,
        "refunded_date": _day(obj, "created"), "payment_ref": id_of(obj.get("charge")),
        "customer_ref": id_of(obj.get("customer")), "reason": obj.get("reason"),
        "status": obj.get("status") or "succeeded", "metadata": _metadata(obj),
    })


def credit_note(obj: Obj, source: str, lines: Sequence[Obj] | None = None) -> CreditNote:
    """A Stripe credit note against one invoice."""
    cur = _currency(obj)
    rows = list(lines) if lines is not None else _list_data(obj, "lines")[0]
    total = _units(obj, "total")
    excluding = obj.get("total_excluding_tax")
    if excluding is None:
        tax = sum((_units(t, "amount") for t in obj.get("total_taxes") or []), 0)
    else:
        tax = total - _units(obj, "total_excluding_tax")
    return CreditNote.model_validate({
        "source": source, "external_id": obj.get("id"), "raw": dict(obj),
        "source_modified": source_time(obj),
        "number": obj.get("number") or obj.get("id"),
        "invoice_ref": id_of(obj.get("invoice")), "customer_ref": id_of(obj.get("customer")),
        "issue_date": _day(obj, "effective_at", required=False) or _day(obj, "created"),
        "currency": cur, "total": from_minor_units(total, cur),
        "tax": from_minor_units(tax, cur), "lines": _lines(rows, cur),
        "reason": obj.get("reason"), "status": obj.get("status") or "issued",
        "memo": obj.get("memo"), "metadata": _metadata(obj),
    })


def payout(obj: Obj, source: str, transactions: Sequence[Obj] = ()) -> Payout:
    """A Stripe payout with the balance transactions it settled (``?payout=po_...``).

    The payout's own balance transaction (type ``payout``) is the transfer
    itself, not something it settles, and is left out. Every amount is in the
    payout's currency; a transaction converted from another currency keeps
    its source's currency and amount beside (when ``source`` was expanded).
    """
    cur = _currency(obj)
    settled = []
    for txn in transactions:
        if txn.get("type") == "payout":
            continue
        txn_cur = _currency(txn)
        if txn_cur != cur:
            raise StripePayloadError(
                f"balance transaction {txn.get('id')} is in {txn_cur}, the payout in {cur}")
        settled.append({
            "ref": txn.get("id"), "kind": txn.get("type"),
            "source_ref": id_of(txn.get("source")),
            "gross": _money(txn, "amount", cur), "fee": _money(txn, "fee", cur, default=0),
            "net": _money(txn, "net", cur), "description": txn.get("description"),
            **_presented(txn, cur),
        })
    return Payout.model_validate({
        "source": source, "external_id": obj.get("id"), "raw": dict(obj),
        "source_modified": source_time(obj),
        "amount": _money(obj, "amount", cur), "currency": cur,
        "arrival_date": _day(obj, "arrival_date"), "created_date": _day(obj, "created"),
        "status": obj.get("status"), "automatic": bool(obj.get("automatic", True)),
        "destination": id_of(obj.get("destination")),
        "statement_descriptor": obj.get("statement_descriptor") or obj.get("description"),
        "transactions": settled, "metadata": _metadata(obj),
    })


def _presented(txn: Obj, cur: str) -> dict[str, Any]:
    """The charge's (or refund's) own currency and amount, when Stripe converted it."""
    rate = _rate(txn)
    source = txn.get("source")
    if rate is None or not isinstance(source, Mapping) or not source.get("currency"):
        return {"exchange_rate": rate} if rate is not None else {}
    source_cur = _currency(source)
    if source_cur == cur:
        return {"exchange_rate": rate}
    units = _units(source, "amount")
    return {"exchange_rate": rate, "source_currency": source_cur,
            "source_amount": from_minor_units(-units if _units(txn, "amount") < 0 else units,
                                              source_cur)}


def dispute(obj: Obj, source: str, invoice: Obj | None = None) -> Dispute:
    """A charge's dispute; ``invoice`` is the invoice the disputed charge paid, when one did.

    The dispute fee is the fee of the balance transaction that withdrew the funds
    (in the currency the account settles in); the customer is the charge's (the
    ``charge`` field expanded), named as the hub names records.
    """
    cur = _currency(obj)
    status_text = obj.get("status")
    if status_text not in DISPUTE_STATUSES:
        raise StripePayloadError(f"status {status_text!r} is not a dispute status Stripe has")
    charge = obj.get("charge")
    charge_id = id_of(charge)
    if charge_id is None:
        raise StripePayloadError("charge is missing: every dispute disputes a charge")
    customer = id_of(charge.get("customer")) if isinstance(charge, Mapping) else None
    fee, fee_currency = None, None
    for txn in obj.get("balance_transactions") or ():
        if isinstance(txn, Mapping) and _units(txn, "amount") < 0:
            fee_currency = _currency(txn)
            fee = (fee or Decimal(0)) + _money(txn, "fee", fee_currency, default=0)
    details = obj.get("evidence_details") or {}
    invoice_id = id_of(invoice) if invoice is not None else None
    number = invoice.get("number") if isinstance(invoice, Mapping) else None
    return Dispute.model_validate({
        "source": source, "external_id": obj.get("id"), "raw": dict(obj),
        "customer_ref": record_name(source, "customer", customer) if customer else None,
        "invoice_refs": [record_name(source, "invoice", invoice_id)] if invoice_id else [],
        "invoice_numbers": [number or invoice_id] if invoice_id else [],
        "charge_ref": charge_id, "payment_ref": record_name(source, "payment", charge_id),
        "amount": _money(obj, "amount", cur), "currency": cur,
        "fee": fee, "fee_currency": fee_currency,
        "reason": obj.get("reason") or "", "status": DISPUTE_STATUSES[status_text],
        "opened_at": _moment(obj, "created"),
        "evidence_due": _day(details, "due_by", required=False)
        if isinstance(details, Mapping) else None,
    })


def _moment(obj: Obj, key: str) -> datetime:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripePayloadError(f"{key} is {value!r}, not a Unix timestamp")
    return datetime.fromtimestamp(value, UTC)


def mapped(
    entity: str, build: Callable[..., CanonicalRecord], obj: Obj, *args: Any
) -> CanonicalRecord | RecordRejected:
    """``build(obj, *args)``, or the reason it cannot be a canonical record."""
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    where = f"stripe {obj.get('object') or entity} {object_id or '(no id)'}"
    try:
        return build(obj, *args)
    except StripePayloadError as exc:
        reason = str(exc)
    except ValidationError as exc:
        reason = "; ".join(_readable(err) for err in exc.errors())
    except CurrencyError as exc:
        reason = exc.message
    return RecordRejected(reason, raw=dict(obj), location=where, entity=entity,
                          external_id=object_id)


def _readable(err: Any) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()))
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg
