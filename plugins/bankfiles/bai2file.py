"""BAI2 (the US cash-management balance report), read with the ``bai2`` parser.

Each account of each group is a statement: the opening ledger (type code
010) and closing ledger (015) are its balances, the transaction details (16
records, with their 88 continuations) its entries, booked on the group's
as-of date. Amounts are whole minor units of the account's currency (the
group's when the account names none); a detail's type code says credit or
debit. The file's own control totals and record counts are checked by the
parser; a file that fails them is refused whole.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bai2 import bai2 as bai2lib
from bai2.constants import TypeCodeTransaction

from hub import CurrencyError, from_minor_units
from plugins.bankfiles.entries import Entry, Statement, StatementError

OPENING_LEDGER = "010"
CLOSING_LEDGER = "015"


def is_bai2(head: bytes) -> bool:
    """Whether a file starts with a BAI2 file header record."""
    return head.lstrip()[:3] == b"01,"


def parse(data: bytes, file_label: str) -> list[Statement]:
    """The accounts of one BAI2 file, each as a statement."""
    try:
        parsed = bai2lib.parse_from_string(data.decode("latin-1"), check_integrity=True)
    except Exception as exc:  # the parser raises several kinds on bad input
        raise StatementError(f"BAI2 parser refused it: {type(exc).__name__}: {exc}") from None
    out: list[Statement] = []
    for g, group in enumerate(parsed.children):
        as_of: date = group.header.as_of_date
        for a, account in enumerate(group.children):
            location = f"{file_label}#group{g + 1}.account{a + 1}"
            out.append(_account(account, group.header.currency or "USD", as_of, location))
    return out


def _money(units: int | None, currency: str, location: str) -> Decimal | None:
    if units is None:
        return None
    try:
        return from_minor_units(int(units), currency)
    except CurrencyError as exc:
        raise StatementError(f"{location}: {exc.message}") from None


def _account(account: Any, group_currency: str, as_of: date, location: str) -> Statement:
    header = account.header
    currency = header.currency or group_currency
    number = str(header.customer_account_number)
    balances = {s.type_code.code: s.amount for s in header.summary_items}
    out = Statement(ident=f"{number}@{as_of.isoformat()}", location=location, account=number,
                    currency=currency,
                    opening=_money(balances.get(OPENING_LEDGER), currency, location),
                    closing=_money(balances.get(CLOSING_LEDGER), currency, location),
                    raw={"account": "\n".join(f"{c.value},{r}" for c, r in header.rows[:1])})
    for i, tx in enumerate(account.children):
        where = f"{location}#entry{i + 1}"
        raw = {"record": "\n".join(f"{c.value},{r}" for c, r in tx.rows)}
        ref = str(tx.bank_reference or "").strip()
        key = f"{number}:{ref}" if ref else f"{number}:{as_of.isoformat()}:{i + 1}"
        kind = tx.type_code.transaction
        if kind not in (TypeCodeTransaction.credit, TypeCodeTransaction.debit):
            out.entries.append(Entry(key=key, location=where, booked=as_of, value=None,
                                     amount=Decimal(0), currency="", raw=raw,
                                     problem=f"type code {tx.type_code.code} is neither a "
                                             "credit nor a debit"))
            continue
        amount = _money(tx.amount, currency, where) or Decimal(0)
        text = " ".join(str(tx.text or "").lstrip(",").split())
        out.entries.append(Entry(
            key=key, location=where, booked=as_of, value=None,
            amount=amount if kind is TypeCodeTransaction.credit else -amount,
            currency=currency, raw=raw, account=number, bank_reference=ref or None,
            end_to_end_id=str(tx.customer_reference or "").strip() or None,
            unstructured=text))
    return out
