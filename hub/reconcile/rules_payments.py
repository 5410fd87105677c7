"""Payments against invoices: which payment pays which invoice (their own applications),
invoices paid beyond their total, and what pays or names each invoice.

Receipts not (fully) applied, and receipts booked twice, are the cash run's
(:mod:`hub.reconcile.cash`)."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date

from hub.contract.rows import PaymentRow
from hub.money import from_minor_units
from hub.reconcile.columns import int_column
from hub.reconcile.copies import Side
from hub.reconcile.hashindex import HashIndex
from hub.reconcile.kinds import Finding, Kind
from hub.reconcile.matching import number_index
from hub.reconcile.tables import InvoiceTable, PaymentTable
from hub.reconcile.text import candidate_numbers, money, number_keyer

SETTLED_STATUSES = ("failed", "canceled", "cancelled", "refunded", "pending", "requires_action")


def day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "an unknown date"


class Applications:
    """Which payment pays which invoice, from the payments' own applications.

    One entry per application that names an invoice of the store in the
    payment's currency, as table positions, in the order of the payments and
    of their applications.
    """

    __slots__ = ("amount", "invoice", "payment")

    def __init__(self) -> None:
        self.invoice = array("I")
        self.payment = array("I")
        self.amount = int_column()

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        """(invoice row, payment row, amount in minor units) for each entry."""
        return zip(self.invoice, self.payment, self.amount, strict=True)

    @classmethod
    def build(cls, invoices: InvoiceTable, payments: PaymentTable, prefixes: Sequence[str],
              numbers: HashIndex | None = None) -> Applications:
        out = cls()
        rows = [row for row in range(len(payments)) if payments.has_applications(row)]
        if not rows:
            return out
        queued = [a for apps in payments.queued.values() for a in apps]
        by_id: dict[int, int] = {}
        if any(payments.app_invoice_id) or any(a.invoice_id for a in queued):
            wanted = set(payments.app_invoice_id) | {a.invoice_id for a in queued}
            by_id = {invoice_id: row for row, invoice_id in enumerate(invoices.ids)
                     if invoice_id in wanted}
        by_ext = None
        refs = payments.app_ref
        if any(not refs.is_empty(a) for a in range(len(refs))) or any(
                a.invoice_ref for a in queued):
            ext = invoices.external_id
            by_ext = HashIndex(((ext.text(row), row) for row in range(len(invoices))),
                               lambda row, key: ext.text(row) == key)
        by_number = numbers if numbers is not None else number_index(invoices, prefixes)
        keyer = number_keyer(tuple(prefixes))
        for prow in rows:
            source, currency = payments.source[prow], payments.currency[prow]
            for app in payments.applications(prow):
                target = by_id.get(app.invoice_id) if app.invoice_id else None
                if target is None and app.invoice_ref and by_ext is not None:
                    same_ext = [row for row in by_ext.get(app.invoice_ref)
                                if invoices.source[row] == source]
                    target = same_ext[-1] if same_ext else None
                if target is None and app.invoice_number:
                    same = by_number.get(keyer(app.invoice_number) or "")
                    target = _pick(invoices, same, source, currency)
                if target is not None and invoices.currency[target] == currency:
                    out.invoice.append(target)
                    out.payment.append(prow)
                    out.amount.append(app.amount)
        return out


def _pick(invoices: InvoiceTable, same: Sequence[int], source: str, currency: str
          ) -> int | None:
    """The invoice a payment names by number: its own system's, else the first in
    source order among those in its currency (the same sale kept in two systems is
    linked, and what evidences one evidences the other)."""
    if not same:
        return None
    own = [row for row in same if invoices.source[row] == source]
    if own:
        return own[0]
    fitting = sorted((row for row in same if invoices.currency[row] == currency),
                     key=lambda row: invoices.source[row])
    return fitting[0] if fitting else None


def live_codes(payments: PaymentTable) -> list[bool]:
    """For each status code of the table: can a payment with it still be applied?"""
    return [(status or "succeeded").lower() not in SETTLED_STATUSES
            for status in payments.status.values]


def overpayments(invoices: InvoiceTable, payments: PaymentTable, apps: Applications,
                 counts: bytearray | None = None) -> Iterator[Finding]:
    """Invoices whose applied payments add up to more than the invoice; a payment's copy
    in another system (``counts`` 0, :mod:`hub.reconcile.copies`) is not a second one."""
    applied: dict[int, int] = defaultdict(int)
    for row, prow, amount in apps:
        if counts is None or counts[prow]:
            applied[row] += amount
    over = {row for row, total in applied.items() if total > invoices.total[row]}
    paid: dict[int, list[tuple[PaymentRow, int]]] = defaultdict(list)
    for row, prow, amount in apps:
        if row in over and (counts is None or counts[prow]):
            paid[row].append((payments[prow], amount))
    for row in sorted(over):
        inv, total = invoices[row], applied[row]
        cur = inv.currency
        excess = total - inv.total
        pays = paid[row]
        names = ", ".join(f"{p.source}:{p.reference or p.external_id}" for p, _ in pays)
        yield Finding(
            f"{Kind.OVERPAYMENT.value}:{inv.source}:{inv.external_id}", Kind.OVERPAYMENT,
            [inv.id, *(p.id for p, _ in pays)],
            f"{inv.number or inv.external_id} is for {money(inv.total, cur)}, but payments "
            f"of {money(total, cur)} are applied to it ({names}): {money(excess, cur)} "
            f"too much. Refund {inv.customer or 'the customer'} or keep it as a credit.",
            cur, from_minor_units(excess, cur), inv.customer,
            details={"record": inv.record_name})


def payment_copies(payments: PaymentTable, side: Side) -> Iterator[Finding]:
    """Each copy of a payment in another system that disagrees with the copy that counts
    (the system of record's): another currency, or another amount."""
    for row in sorted(side.copies):
        counted = payments[row]
        for other in side.copies[row]:
            copy = payments[other]
            key = (f"payment:{counted.source}:{counted.external_id}|"
                   f"{copy.source}:{copy.external_id}")
            cur = counted.currency
            both = {"counted": counted.record_name, "copy": copy.record_name}
            if copy.currency != cur:
                yield Finding(
                    f"{Kind.CURRENCY_MISMATCH.value}:{key}", Kind.CURRENCY_MISMATCH,
                    [counted.id, copy.id],
                    f"{copy.record_name} is {money(copy.amount, copy.currency)}, but the "
                    f"payment it copies, {counted.record_name}, is {money(counted.amount, cur)}"
                    " in the system of record: one was booked in the wrong currency.",
                    cur, from_minor_units(counted.amount, cur), counted.payer, details=both)
            elif copy.amount != counted.amount:
                diff = abs(copy.amount - counted.amount)
                yield Finding(
                    f"{Kind.AMOUNT_MISMATCH.value}:{key}", Kind.AMOUNT_MISMATCH,
                    [counted.id, copy.id],
                    f"{copy.record_name} is {money(copy.amount, cur)}, but the payment it "
                    f"copies, {counted.record_name}, is {money(counted.amount, cur)} in the "
                    f"system of record: {money(diff, cur)} apart.",
                    cur, from_minor_units(diff, cur), counted.payer, details=both)


def payment_evidence(invoices: InvoiceTable, payments: PaymentTable,
                     bank_texts: Sequence[str], apps: Applications, prefixes: Sequence[str],
                     numbers: HashIndex) -> bytearray:
    """1 for each invoice row that some payment, memo or bank credit pays or names."""
    mentioned: set[str] = set()
    live, status, amount, memo = (live_codes(payments), payments.status.codes,
                                  payments.amount, payments.memo)
    for row in range(len(payments)):
        if live[status[row]] and amount[row] > 0 and not memo.is_empty(row):
            mentioned |= candidate_numbers(memo.text(row), prefixes)
    for text in bank_texts:
        mentioned |= candidate_numbers(text, prefixes)
    out = bytearray(len(invoices))
    for row in apps.invoice:
        out[row] = 1
    for key in mentioned:
        for row in numbers.get(key):
            out[row] = 1
    return out
