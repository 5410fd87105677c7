"""Bank credits that another record already accounts for.

A customer's transfer the ledger booked as a payment, or a processor's payout,
appears twice: as that record and as the bank line. The bank line is then not
a receipt of its own: counting it would ask the coordinator to apply the same
money twice.

A person's word comes first (``billing-hub link`` / ``unlink``): a bank line
linked to a payment record is that payment, and of two payments (or two bank
lines) linked by hand, the one booked later is the earlier one again; a bank
line unlinked from a payment is never taken for it by amount and date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from hub.contract.names import record_name
from hub.contract.rows import PaymentRow
from hub.reconcile.linking import ManualLinks
from hub.reconcile.payouts import PayoutReview
from hub.reconcile.tables import PaymentTable

_FAR = date(9999, 12, 31)
WINDOW_DAYS = 5
"""A bank books a payment this many days either side of the date its record carries."""


class Explained:
    """Says, for a bank credit, which record accounts for it (or ``None``)."""

    def __init__(self, payments: PaymentTable, rows: Sequence[int],
                 review: PayoutReview | None, manual: ManualLinks | None = None,
                 bank_lines: Sequence[PaymentRow] = ()) -> None:
        self._payouts = review.deposit_owners() if review else {}
        self._table = payments
        self._by_amount: dict[tuple[str, int], list[int]] = defaultdict(list)
        for row in rows:
            if payments.received[row] is not None:
                self._by_amount[(payments.currency[row], payments.amount[row])].append(row)
        self._used: set[int] = set()
        self._apart = manual.apart if manual is not None else lambda _a, _b: False
        self._partners = manual.partners() if manual is not None else {}
        self._linked: dict[int, tuple[str, bool, tuple[date, int]]] = {}
        """Each receipt a person linked: its name, whether a bank line, its place in
        booking order."""
        if self._partners:
            for row, rid in enumerate(payments.ids):
                if rid in self._partners:
                    self._linked[rid] = (
                        record_name(payments.source[row], "payment",
                                    payments.external_id.text(row)),
                        False, (payments.received[row] or _FAR, rid))
            for line in bank_lines:
                if line.id in self._partners:
                    self._linked[line.id] = (line.record_name, True,
                                             (line.received or _FAR, line.id))
        self._held = {rid for rid, (_, bank, _) in self._linked.items() if not bank and any(
            self._linked.get(other, ("", False, (_FAR, 0)))[1] for other in self._partners[rid])}
        """Payments a person linked to a bank line: no other line is taken for them."""

    def _by_hand(self, receipt: PaymentRow) -> str | None:
        """The receipt a person linked this one to, when this one is that money again."""
        mine = self._linked.get(receipt.id)
        if mine is None:
            return None
        for other in sorted(self._partners[receipt.id]):
            theirs = self._linked.get(other)
            if theirs is None:
                continue
            if (mine[1] and not theirs[1]) or (mine[1] == theirs[1] and theirs[2] < mine[2]):
                what = "bank line" if theirs[1] else "payment"
                return f"the {what} {theirs[0]} (linked by hand)"
        return None

    def __call__(self, line: PaymentRow, bank: bool = True) -> str | None:
        """Why ``line`` is booked elsewhere, or ``None``; a payment record (``bank``
        false) only when a person linked it to a receipt booked before it."""
        why = self._by_hand(line)
        if why is not None or not bank:
            return why
        owner = self._payouts.get(line.id)
        if owner is not None:
            return owner
        if line.received is None:
            return None
        table = self._table
        for row in self._by_amount.get((line.currency, line.amount), ()):
            received = table.received[row]
            assert received is not None
            if (row not in self._used and abs((received - line.received).days) <= WINDOW_DAYS
                    and table.ids[row] not in self._held
                    and not self._apart(line.id, table.ids[row])):
                self._used.add(row)
                return ("the payment "
                        + record_name(table.source[row], "payment", table.external_id.text(row)))
        return None
