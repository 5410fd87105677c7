"""An :class:`~plugins.bankfiles.entries.Entry` as the canonical bank transaction."""

from __future__ import annotations

from typing import Any

from hub import BankTransaction
from plugins.bankfiles.entries import Entry
from plugins.bankfiles.remittance import creditor_reference, reference_body


def matching_reference(entry: Entry) -> str | None:
    """What the matcher should read as the payer's reference: the first invoice number the
    structured remittance lists, else the creditor's reference inside a valid RF reference,
    else the end-to-end id."""
    if entry.invoice_numbers:
        return entry.invoice_numbers[0]
    rf = creditor_reference(entry.creditor_reference)
    if rf is not None:
        return reference_body(rf)
    return entry.end_to_end_id


def to_record(entry: Entry, source: str) -> BankTransaction:
    """The canonical record; every detail the model has no field for is kept in ``raw``."""
    parts = [entry.unstructured, *entry.invoice_numbers[1:]]
    if entry.creditor_reference:
        parts.append(entry.creditor_reference)
    raw: dict[str, Any] = {
        "entry": entry.raw,
        "bank_reference": entry.bank_reference,
        "end_to_end_id": entry.end_to_end_id,
        "counterparty_iban": entry.counterparty_iban,
        "creditor_reference": entry.creditor_reference,
        "invoice_numbers": entry.invoice_numbers,
        "unstructured": entry.unstructured,
        "charges": None if entry.charges is None else str(entry.charges),
    }
    return BankTransaction(
        source=source, external_id=entry.key, account=entry.account,
        booked_date=entry.booked, value_date=entry.value, amount=entry.amount,
        currency=entry.currency, description=" ".join(p for p in parts if p)[:500],
        counterparty=entry.counterparty, reference=matching_reference(entry), raw=raw,
    )
