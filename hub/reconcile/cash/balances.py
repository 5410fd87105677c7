"""Balances as of the receipt being matched, and what one receipt's memo and payer say.

The cash run (:mod:`hub.reconcile.cash.run`) decides receipts in booking order;
:class:`Balances` keeps what the decisions so far pay, so a later instalment
meets the balance an earlier one left, and a sale's copies in other systems are
paid with it. :class:`Reading` is what the open-invoice index
(:class:`hub.reconcile.matching.OpenInvoiceIndex`) reads for one receipt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.contract.rows import InvoiceRow
from hub.reconcile.cash.decide import Named
from hub.reconcile.cash.payers import Payer
from hub.reconcile.tables import InvoiceTable


@dataclass(frozen=True, slots=True)
class Reading:
    """What one receipt's memo and payer say, against balances as of the receipt."""

    payer: Payer
    named_open: list[Named]
    """Open invoices in the receipt's currency the memo names, in memo order."""
    named_other_currency: list[InvoiceRow]
    """Open invoices the memo names in another currency."""
    named_closed: list[InvoiceRow]
    """Invoices the memo names that are paid, void, or settled by earlier receipts."""
    payer_open: list[InvoiceRow]
    """The payer's open invoices in the receipt's currency, oldest due first."""


class Balances:
    """What the receipts decided so far in a run pay, by invoice table position."""

    __slots__ = ("_invoices", "paid", "twins")

    def __init__(self, invoices: InvoiceTable) -> None:
        self._invoices = invoices
        self.paid: dict[int, int] = {}
        self.twins: dict[int, list[int]] = {}
        """Position -> the positions of the same sale's copies in other systems."""

    def balance(self, row: int) -> int:
        return self._invoices.balance[row] - self.paid.get(row, 0)

    def row(self, row: int) -> InvoiceRow:
        built = self._invoices[row]
        if row in self.paid:
            built.balance -= self.paid[row]
        return built

    def rows_of(self, positions: Iterable[int]) -> list[InvoiceRow]:
        return [self.row(row) for row in positions]

    def consume(self, row: int, amount: int) -> None:
        for each in (row, *self.twins.get(row, ())):
            self.paid[each] = self.paid.get(each, 0) + amount
