"""The snapshot's invoices and payments, column by column.

A table holds one compact column per field (see :mod:`hub.reconcile.columns`)
and rows are addressed by their position. Rules scan the columns they need
and build a :class:`~hub.contract.rows.InvoiceRow` or
:class:`~hub.contract.rows.PaymentRow` (``table[i]``) only for the records
they report on: about 60 bytes an invoice instead of about 450.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date

from hub.contract.rows import Application, InvoiceRow, PaymentRow
from hub.reconcile.columns import PooledColumn, StrColumn, int_column

NO_REFS: dict[str, str] = {}
"""Shared by every row without references; never mutated."""


class InvoiceTable:
    """Invoices column by column; ``table[i]`` builds the :class:`InvoiceRow` of row ``i``."""

    __slots__ = ("balance", "currency", "customer", "customer_ref", "due_date", "external_id",
                 "ids", "issue_date", "modified", "number", "refs", "source", "status", "total")

    def __init__(self) -> None:
        self.ids = int_column()
        self.source: PooledColumn[str] = PooledColumn()
        self.external_id = StrColumn()
        self.number = StrColumn()
        self.customer: PooledColumn[str | None] = PooledColumn()
        self.customer_ref: PooledColumn[str | None] = PooledColumn()
        self.currency: PooledColumn[str] = PooledColumn()
        self.total = int_column()
        self.balance = int_column()
        self.status: PooledColumn[str] = PooledColumn()
        self.issue_date: PooledColumn[date | None] = PooledColumn()
        self.due_date: PooledColumn[date | None] = PooledColumn()
        self.refs: dict[int, dict[str, str]] = {}
        """Row -> references in its metadata, for the rows that have some."""
        self.modified: dict[int, date] = {}
        """Row -> the day its system last changed it, for the paid and void invoices
        whose system says so (``source_modified``)."""

    @classmethod
    def of(cls, rows: Iterable[InvoiceRow]) -> InvoiceTable:
        """A table holding ``rows``, in that order."""
        rows = list(rows)
        table = cls()
        table.extend([r.id for r in rows], [r.source for r in rows],
                     [r.external_id for r in rows], [r.number for r in rows],
                     [r.customer for r in rows], [r.customer_ref for r in rows],
                     [r.currency for r in rows], [r.total for r in rows],
                     [r.balance for r in rows], [r.status for r in rows],
                     [r.issue_date for r in rows], [r.due_date for r in rows],
                     {i: r.refs for i, r in enumerate(rows) if r.refs})
        return table

    def extend(self, ids: Sequence[int], sources: Sequence[str],
               external_ids: Sequence[str], numbers: Sequence[str | None],
               customers: Sequence[str | None], customer_refs: Sequence[str | None],
               currencies: Sequence[str], totals: Sequence[int], balances: Sequence[int],
               statuses: Sequence[str], issue_dates: Sequence[date | None],
               due_dates: Sequence[date | None], refs: Mapping[int, dict[str, str]]) -> None:
        """Add rows given column by column; ``refs`` is keyed by position in these columns."""
        first = len(self.ids)
        self.ids.extend(ids)
        self.source.extend(sources)
        self.external_id.extend(external_ids)
        self.number.extend(numbers)
        self.customer.extend(customers)
        self.customer_ref.extend(customer_refs)
        self.currency.extend(currencies)
        self.total.extend(totals)
        self.balance.extend(balances)
        self.status.extend(statuses)
        self.issue_date.extend(issue_dates)
        self.due_date.extend(due_dates)
        self.refs.update((first + i, r) for i, r in refs.items())

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, row: int) -> InvoiceRow:
        return InvoiceRow(self.ids[row], self.source[row], self.external_id.text(row),
                          self.number[row], self.customer[row], self.customer_ref[row],
                          self.currency[row], self.total[row], self.balance[row],
                          self.status[row], self.issue_date[row], self.due_date[row],
                          self.refs.get(row, NO_REFS))

    def __iter__(self) -> Iterator[InvoiceRow]:
        for row in range(len(self.ids)):
            yield self[row]

    def rows_of(self, positions: Iterable[int]) -> list[InvoiceRow]:
        return [self[row] for row in positions]


class PaymentTable:
    """Payments column by column; ``table[i]`` builds the :class:`PaymentRow` of row ``i``.

    Applications are columns too: those of row ``i`` are entries
    ``app_end[i - 1]`` to ``app_end[i]``; ``queued`` holds the ones a
    coordinator made (``apply-payment``) and the payment's system confirmed
    without its record showing them (money received elsewhere), already
    deducted from ``unapplied``.
    """

    __slots__ = ("amount", "app_amount", "app_end", "app_invoice_id", "app_number", "app_ref",
                 "currency", "customer_ref", "external_id", "ids", "memo", "payer", "queued",
                 "received", "reference", "refs", "source", "status", "unapplied")

    def __init__(self) -> None:
        self.ids = int_column()
        self.source: PooledColumn[str] = PooledColumn()
        self.external_id = StrColumn()
        self.reference = StrColumn()
        self.payer: PooledColumn[str | None] = PooledColumn()
        self.customer_ref: PooledColumn[str | None] = PooledColumn()
        self.currency: PooledColumn[str] = PooledColumn()
        self.amount = int_column()
        self.unapplied = int_column()
        self.status: PooledColumn[str | None] = PooledColumn()
        self.received: PooledColumn[date | None] = PooledColumn()
        self.memo = StrColumn()
        self.app_end: array[int] = array("q")
        self.app_ref = StrColumn()
        self.app_number = StrColumn()
        self.app_amount = int_column()
        self.app_invoice_id = int_column()
        """0 when the application names no invoice id (record ids start at 1)."""
        self.queued: dict[int, list[Application]] = {}
        self.refs: dict[int, dict[str, str]] = {}

    @classmethod
    def of(cls, rows: Iterable[PaymentRow]) -> PaymentTable:
        """A table holding ``rows``, in that order."""
        rows = list(rows)
        table = cls()
        table.extend([r.id for r in rows], [r.source for r in rows],
                     [r.external_id for r in rows], [r.reference for r in rows],
                     [r.payer for r in rows], [r.customer_ref for r in rows],
                     [r.currency for r in rows], [r.amount for r in rows],
                     [r.unapplied for r in rows], [r.status for r in rows],
                     [r.received for r in rows], [r.memo for r in rows],
                     [r.applications for r in rows],
                     {i: r.refs for i, r in enumerate(rows) if r.refs})
        return table

    def extend(self, ids: Sequence[int], sources: Sequence[str],
               external_ids: Sequence[str], references: Sequence[str | None],
               payers: Sequence[str | None], customer_refs: Sequence[str | None],
               currencies: Sequence[str], amounts: Sequence[int], unapplied: Sequence[int],
               statuses: Sequence[str | None], received: Sequence[date | None],
               memos: Sequence[str], applications: Sequence[Sequence[Application]],
               refs: Mapping[int, dict[str, str]]) -> None:
        """Add rows given column by column; ``refs`` is keyed by position in these columns."""
        first = len(self.ids)
        self.ids.extend(ids)
        self.source.extend(sources)
        self.external_id.extend(external_ids)
        self.reference.extend(references)
        self.payer.extend(payers)
        self.customer_ref.extend(customer_refs)
        self.currency.extend(currencies)
        self.amount.extend(amounts)
        self.unapplied.extend(unapplied)
        self.status.extend(statuses)
        self.received.extend(received)
        self.memo.extend(memos)
        apps = [a for row in applications for a in row]
        self.app_ref.extend([a.invoice_ref for a in apps])
        self.app_number.extend([a.invoice_number for a in apps])
        self.app_amount.extend([a.amount for a in apps])
        self.app_invoice_id.extend([a.invoice_id or 0 for a in apps])
        end = self.app_end[-1] if self.app_end else 0
        for row in applications:
            end += len(row)
            self.app_end.append(end)
        self.refs.update((first + i, r) for i, r in refs.items())

    def add_queued(self, row: int, application: Application) -> None:
        """An application a coordinator made and its system confirmed, counted as applied."""
        self.queued.setdefault(row, []).append(application)
        self.unapplied[row] -= application.amount

    def applications(self, row: int) -> list[Application]:
        """The payment's applications: its own, then those queued for it."""
        start = self.app_end[row - 1] if row else 0
        own = [Application(self.app_ref[a], self.app_number[a], self.app_amount[a],
                           self.app_invoice_id[a] or None)
               for a in range(start, self.app_end[row])]
        return own + self.queued.get(row, [])

    def has_applications(self, row: int) -> bool:
        return self.app_end[row] > (self.app_end[row - 1] if row else 0) or row in self.queued

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, row: int) -> PaymentRow:
        return PaymentRow(self.ids[row], self.source[row], self.external_id.text(row),
                          self.reference[row], self.payer[row], self.customer_ref[row],
                          self.currency[row], self.amount[row], self.unapplied[row],
                          self.status[row], self.received[row], self.memo.text(row),
                          self.applications(row), self.refs.get(row, NO_REFS))

    def __iter__(self) -> Iterator[PaymentRow]:
        for row in range(len(self.ids)):
            yield self[row]
