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

WINDOW_DAYS = 5
"""A bank books a payment this many days either side of the date its record carries."""


class Explained:
    """Says, for a bank credit, which record accounts for it (or ``None``)."""

    def __init__(self, payments: Sequence[PaymentRow], review: PayoutReview | None) -> None:
        self._payouts = {m.deposit.id: m for m in (review.matches if review else ())
                         if m.deposit is not None}
        self._payments: dict[tuple[str, int], list[PaymentRow]] = defaultdict(list)
        for p in payments:
            if p.received is not None:
                self._payments[(p.currency, p.amount)].append(p)
        self._used: set[int] = set()

    def __call__(self, line: PaymentRow) -> str | None:
        match = self._payouts.get(line.id)
        if match is not None:
            return f"the payout {match.payout.external_id} of {match.payout.source}"
        if line.received is None:
            return None
        for p in self._payments.get((line.currency, line.amount), ()):
            assert p.received is not None
            if p.id not in self._used and abs((p.received - line.received).days) <= WINDOW_DAYS:
                self._used.add(p.id)
                return f"the payment {p.source}:{p.external_id}"
        return None
