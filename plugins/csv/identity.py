"""Who a row is when its file has no id column (most bank exports have none).

A row's identity is built from the fields that say *which* movement of money
it is, never from the words around it:

- ``bank_transaction``: account, booked date, amount (or debit and credit),
  counterparty;
- ``payment``: received date, amount, payer name, customer ref;
- ``customer``: name.

Each value is normalised first: amounts and dates are parsed (``1,200.00``
and ``1200.00`` are one amount), text has its whitespace collapsed and its
case folded. Rows with the same identity are told apart by their order among
themselves in the file: the first is ``row-<digest>``, the second
``row-<digest>-2`` and so on. So:

- importing the same file again creates nothing;
- two identical rows stay two records;
- editing a row's description, reference, memo or any other field outside
  its identity updates that record in place;
- a change to a date, an amount or a counterparty makes another movement of
  money: a new record, and the old one is marked deleted by the same sync
  (the file is read whole; see ``removed_rows``), so the money is never
  counted twice;
- a row that turns bad in a field outside its identity (a mistyped currency
  or balance) is quarantined under the same id, and its last good record
  stays until the row is fixed.

An invoice file without ``id_columns`` is identified by the invoice number,
as before, and a file with ``id_columns`` by those columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "bank_transaction": ("account", "booked_date", "amount", "debit", "credit", "counterparty"),
    "payment": ("received_date", "amount", "payer_name", "customer_ref"),
    "customer": ("name",),
}


def digest64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _text(value: str) -> str:
    return " ".join(value.split()).casefold()


@dataclass(slots=True)
class RowIdentity:
    """The identity fields of one file, compiled: (name, getter, default, normaliser)."""

    parts: list[tuple[str, Callable[[Sequence[str]], str] | None, str, Callable[[str], str]]]

    @classmethod
    def compile(
        cls, entity: str, getters: Mapping[str, Callable[[Sequence[str]], str]],
        defaults: Mapping[str, str], kinds: Mapping[str, str],
        parse_number: Callable[[str], Decimal], parse_date: Callable[[str], date],
    ) -> RowIdentity:
        def normaliser(kind: str) -> Callable[[str], str]:
            parse: Callable[[str], Any] | None = (
                parse_number if kind == "money" else parse_date if kind == "date" else None)
            if parse is None:
                return _text

            def norm(text: str) -> str:
                try:
                    value = parse(text)
                except ValueError:  # the row will be quarantined; its words still identify it
                    return _text(text)
                if isinstance(value, Decimal):
                    return format(value.normalize(), "f")
                return str(value.isoformat())

            return norm

        parts = [(name, getters.get(name), defaults.get(name, ""), normaliser(kinds[name]))
                 for name in KEY_FIELDS.get(entity, ())
                 if name in getters or name in defaults]
        return cls(parts)

    def digest(self, cells: Sequence[str]) -> int:
        """The identity of ``cells``, before the order among equal rows is added."""
        values = []
        for name, getter, default, norm in self.parts:
            text = (getter(cells) if getter is not None else "") or default
            values.append(f"{name}={norm(text) if text else ''}")
        return digest64("\x1f".join(values))


def derived_id(digest: int, occurrence: int) -> str:
    """``row-<digest>`` for the first row of an identity, ``row-<digest>-N`` for the N-th."""
    return f"row-{digest:016x}" + (f"-{occurrence}" if occurrence > 1 else "")
