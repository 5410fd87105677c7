"""SWIFT MT940 (customer statement message), read with the ``mt-940`` parser.

A file may hold several statements, each opened by its ``:20:`` field; each
is parsed on its own so that its opening (``:60F:``/``:60M:``) and closing
(``:62F:``/``:62M:``) balances stay its own. A statement without both
balances is taken as truncated and refused whole.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import mt940 as mt940lib

from plugins.bankfiles.entries import Entry, Statement, StatementError
from plugins.bankfiles.remittance import checked_iban, creditor_reference

_START = re.compile(rb"^:20:", re.MULTILINE)
_RF = re.compile(r"RF\s?\d{2}(?:\s?[0-9A-Z]){1,21}")


def is_mt940(head: bytes) -> bool:
    """Whether a file looks like an MT940 message."""
    sample = head[:65536]
    return bool(_START.search(sample)) and (b":60F:" in sample or b":60M:" in sample)


def parse(data: bytes, file_label: str) -> list[Statement]:
    """The statements of one MT940 file; a :class:`StatementError` when it holds none."""
    text = data.decode("latin-1")
    starts = [m.start() for m in _START.finditer(data)]
    if not starts:
        raise StatementError("not an MT940 message: no :20: field")
    chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return [_statement(chunk, f"{file_label}#stmt{i + 1}") for i, chunk in enumerate(chunks)]


def _statement(chunk: str, location: str) -> Statement:
    transactions = mt940lib.models.Transactions()
    try:
        transactions.parse(chunk)
    except Exception as exc:  # the parser raises many kinds on bad input
        raise StatementError(f"{location}: MT940 parser refused it: {exc}") from None
    head = transactions.data
    opening = head.get("final_opening_balance") or head.get("intermediate_opening_balance")
    closing = head.get("final_closing_balance") or head.get("intermediate_closing_balance")
    if opening is None or closing is None:
        missing = ":60F:" if opening is None else ":62F:"
        raise StatementError(f"{location}: truncated MT940 statement, no {missing} balance")
    account = str(head.get("account_identification") or "") or None
    number = str(head.get("statement_number") or "")
    ident = f"{head.get('transaction_reference') or ''}/{number}".strip("/") or location
    currency = str(opening.amount.currency)
    out = Statement(ident=ident, location=location, account=account, currency=currency,
                    opening=Decimal(opening.amount.amount), closing=Decimal(closing.amount.amount),
                    raw={"statement": chunk[:4000]},
                    sequence=int(number) if number.isdigit() else None)
    for i, tx in enumerate(transactions):
        out.entries.append(_entry(tx.data, out, i + 1, account, number))
    return out


def _entry(data: dict[str, Any], stmt: Statement, index: int, account: str | None,
           number: str) -> Entry:
    location = f"{stmt.location}#entry{index}"
    raw = {k: str(v) for k, v in data.items() if v is not None}
    bank_ref = _clean(data.get("bank_reference"))
    key = f"{account}:{bank_ref}" if bank_ref else f"{account}:{number}:{index}"
    try:
        amount = data["amount"]
        text = data.get("transaction_details") or " ".join(
            str(data.get(k) or "") for k in ("posting_text", "purpose", "additional_purpose"))
        details = " ".join(str(text).split())
        iban_text = data.get("applicant_iban")
        iban = checked_iban(str(iban_text)) if iban_text else None
        found = _RF.search(details.upper())
        rf = creditor_reference(found.group(0)) if found else None
        customer_ref = _clean(data.get("customer_reference"))
        return Entry(key=key, location=location, booked=data.get("entry_date") or data["date"],
                     value=data["date"], amount=Decimal(amount.amount),
                     currency=str(amount.currency), raw=raw, account=account,
                     counterparty=_clean(data.get("applicant_name") or data.get("recipient_name")),
                     counterparty_iban=iban, bank_reference=bank_ref, end_to_end_id=customer_ref,
                     creditor_reference=rf, unstructured=details)
    except (KeyError, AttributeError, TypeError) as exc:
        problem = f"MT940 entry {index} is incomplete: no {exc}"
    except ValueError as exc:
        problem = f"MT940 entry {index}: {exc}"
    return Entry(key=key, location=location, booked=date.min, value=None,
                 amount=Decimal(0), currency="", raw=raw, problem=problem)


def _clean(value: Any) -> str | None:
    text = str(value or "").strip()
    return None if not text or text.upper() == "NONREF" else text
