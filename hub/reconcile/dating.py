"""The money's date of a finding: the day its age is counted from.

A finding about money received (an unapplied payment, a duplicate receipt, a
bank credit) is dated by the day the money came in: the first receipt the
rule names, by its received (booked) date. A finding about invoices only is
dated by the earliest due date among them (an invoice without one, by its
issue date); ``open`` says whether that invoice still has a balance (an
overdue invoice, or a paid one). A payout's finding is dated by the day the
payout was due at the bank (its ``arrival_date``). The date goes into the
finding's details as ``money_date`` (``{"on": "2026-09-20", "what":
"received"}``; ``what`` is ``received``, ``due``, ``issued`` or ``arrival``),
which the reports turn into an age
(:mod:`hub.reports.ages`); a finding with neither keeps its age from when the
reconciler first saw it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date

from hub.contract.rules import Finding
from hub.reconcile.snapshot import Snapshot

MONEY_DATE = "money_date"
"""The key of a finding's details that holds its money's date."""


class _Positions:
    """Record id -> table position, by bisection when the ids are in order (as the
    store loads them), else through a dict."""

    def __init__(self, ids: array[int]) -> None:
        self._ids = ids
        ordered = all(ids[i] < ids[i + 1] for i in range(len(ids) - 1))
        self._map = None if ordered else {rid: row for row, rid in enumerate(ids)}

    def get(self, rid: int) -> int | None:
        if self._map is not None:
            return self._map.get(rid)
        at = bisect_left(self._ids, rid)
        return at if at < len(self._ids) and self._ids[at] == rid else None


class MoneyDates:
    """Dates findings by the records they name (see the module's docstring)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._invoices = _Positions(snapshot.invoices.ids)
        self._payments = _Positions(snapshot.payments.ids)
        self._bank = {line.id: line.received for line in snapshot.bank_lines}

    def of(self, record_ids: Iterable[int]) -> dict[str, object] | None:
        """The money's date of a finding naming ``record_ids`` (in the rule's order), as
        its details keep it, or None."""
        invoices, payments = self._snapshot.invoices, self._snapshot.payments
        due: tuple[date, str, bool] | None = None
        for rid in record_ids:
            row = self._payments.get(rid)
            received = payments.received[row] if row is not None else self._bank.get(rid)
            if received is not None:
                return {"on": received.isoformat(), "what": "received"}
            row = self._invoices.get(rid)
            if row is None:
                continue
            when, what = invoices.due_date[row], "due"
            if when is None:
                when, what = invoices.issue_date[row], "issued"
            owed = invoices.balance[row] > 0 and invoices.status[row] not in ("void", "draft")
            if when is not None and (due is None or when < due[0]):
                due = (when, what, owed)
            elif due is not None and when == due[0] and owed:
                due = (when, due[1], True)  # copies of one invoice: owed if one says so
        if due is None:
            return None
        return {"on": due[0].isoformat(), "what": due[1], "open": due[2]}

    def dated(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        """Each finding with its money's date in its details (unless it has one)."""
        for f in findings:
            if MONEY_DATE not in f.details:
                found = self.of(f.record_ids)
                arrival = f.details.get("arrival_date")
                if found is None and isinstance(arrival, str):
                    found = {"on": arrival, "what": "arrival"}
                if found is not None:
                    f.details = {**f.details, MONEY_DATE: found}
            yield f
