"""The built-in match rules: the evidence that a receipt pays invoices.

Registered in this order by :mod:`hub.reconcile.default_rules`:

- ``memo_reference``: invoices the memo names, however written
  (:mod:`hub.reconcile.cash.refs`), read against their open balances: the
  exact balance, several balances, a balance less a bank charge or a stated
  discount, an instalment, or more than asked (with the rest of the payer's
  invoices that the excess pays exactly). With the exact amount it settles the
  receipt: no later rule is asked.
- ``payer_amount``: when the memo names none, the payer's open invoices
  (:mod:`hub.reconcile.cash.payers`): one balance equal to the amount, a
  combination of balances that adds up to it, one balance less a charge or
  discount, or (barely trusted) a part payment.

Both see balances as of the receipt: what earlier receipts of the run were
decided to pay is already deducted (:class:`hub.reconcile.matching.OpenInvoiceIndex`).
"""

from __future__ import annotations

from collections.abc import Iterator

from hub.contract.rows import PaymentRow
from hub.contract.rules import OpenInvoices, Suggestion
from hub.reconcile.cash import decide
from hub.reconcile.matching import OpenInvoiceIndex


def _own(open_invoices: OpenInvoices) -> OpenInvoiceIndex:
    if not isinstance(open_invoices, OpenInvoiceIndex):
        raise TypeError("the built-in match rules need the reconciler's own open invoices")
    return open_invoices


def memo_reference(payment: PaymentRow, open_invoices: OpenInvoices) -> Iterator[Suggestion]:
    """Invoices the memo names, read against their balances."""
    index = _own(open_invoices)
    reading = index.reading(payment)
    if not reading.named_open:
        return
    tolerance = max((index.tolerance(payment, n.invoice) for n in reading.named_open),
                    default=0)
    fees = not any(index.pair_configured(payment, n.invoice) for n in reading.named_open)
    yield from decide.named(payment, reading.named_open, reading.payer_open,
                            index.settings, tolerance, fees)


def payer_amount(payment: PaymentRow, open_invoices: OpenInvoices) -> Iterator[Suggestion]:
    """The payer's open invoices, read against the amount, when the memo names none."""
    index = _own(open_invoices)
    reading = index.reading(payment)
    if reading.named_open or not reading.payer.known:
        return
    fees = not any(index.pair_configured(payment, i) for i in reading.payer_open)
    yield from decide.by_payer(payment, reading.payer_open, index.settings,
                               reading.payer.how, reading.payer.score < 100,
                               lambda inv: index.tolerance(payment, inv), fees)
