"""What a statement file says, before it becomes canonical records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass
class Entry:
    """One movement on the account, as the statement gave it (amount signed: credit > 0)."""

    key: str
    """The bank's own reference for it (or file + position when it gives none): the record's id."""
    location: str
    booked: date
    value: date | None
    amount: Decimal
    currency: str
    raw: dict[str, Any]
    account: str | None = None
    counterparty: str | None = None
    counterparty_iban: str | None = None
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    creditor_reference: str | None = None
    invoice_numbers: list[str] = field(default_factory=list)
    unstructured: str = ""
    charges: Decimal | None = None
    problem: str | None = None
    """Why this entry cannot be taken (it is quarantined with ``raw``)."""


@dataclass
class Statement:
    """One statement: its entries and the balances it states."""

    ident: str
    location: str
    account: str | None
    currency: str | None
    opening: Decimal | None
    closing: Decimal | None
    entries: list[Entry] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    not_booked: int = 0
    """Entries left out because the bank has not booked them (camt status PDNG, INFO, FUTR)."""
    sequence: int | None = None
    """The bank's running number of the account's statements (camt ``ElctrncSeqNb`` or
    ``LglSeqNb``, MT940 ``:28C:``), when it gives one."""


class StatementError(ValueError):
    """A file (or a statement in it) that cannot be read at all."""
