"""Bank credits that another record already accounts for.

A customer's transfer the ledger booked as a payment, or a processor's payout,
appears twice: as that record and as the bank line. The bank line is then not
a receipt of its own: counting it would ask the coordinator to apply the same
money twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hub.contract.rows import PaymentRow
from hub.reconcile.payouts import PayoutReview
from hub.reconcile.tables import PaymentTable

WINDOW_DAYS = 5
"""A bank books a payment this many days either side of the date its record carries."""


class Explained:
    """Says, for a bank credit, which record accounts for it (or ``None``)."""

    def __init__(self, payments: PaymentTable, rows: Sequence[int],
                 review: PayoutReview | None) -> None:
        self._payouts = {m.deposit.id: m for m in (review.matches if review else ())
                         if m.deposit is not None}
        self._table = payments
        self._by_amount: dict[tuple[str, int], list[int]] = defaultdict(list)
        for row in rows:
            if payments.received[row] is not None:
                self._by_amount[(payments.currency[row], payments.amount[row])].append(row)
        self._used: set[int] = set()

    def __call__(self, line: PaymentRow) -> str | None:
        match = self._payouts.get(line.id)
        if match is not None:
            return f"the payout {match.payout.external_id} of {match.payout.source}"
        if line.received is None:
            return None
        table = self._table
        for row in self._by_amount.get((line.currency, line.amount), ()):
            received = table.received[row]
            assert received is not None
            if row not in self._used and abs((received - line.received).days) <= WINDOW_DAYS:
                self._used.add(row)
                return f"the payment {table.source[row]}:{table.external_id.text(row)}"
        return None
