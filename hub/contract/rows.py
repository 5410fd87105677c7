"""Invoices, payments and customers as the reconciler's rules see them: one
object per record, amounts in integer minor units.

Part of the rule contract (:mod:`hub.contract.rules`): a finding rule or a
match rule, built-in or a plugin's, is handed these. The reconciler keeps its
records column by column (:mod:`hub.reconcile.tables`) and builds these
objects only for the records a rule reports on or a match rule is shown, so a
run never holds a million of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hub.contract import names


@dataclass(slots=True)
class InvoiceRow:
    """An invoice as the reconciler sees it; amounts in minor units."""

    id: int
    source: str
    external_id: str
    number: str | None
    customer: str | None
    customer_ref: str | None
    currency: str
    total: int
    balance: int
    status: str
    issue_date: date | None
    due_date: date | None
    refs: dict[str, str] = field(default_factory=dict)

    @property
    def paid(self) -> int:
        return self.total - self.balance

    @property
    def record_name(self) -> str:
        """What the hub calls it: ``SOURCE:invoice:ID``."""
        return names.record_name(self.source, "invoice", self.external_id)


@dataclass(slots=True)
class Application:
    """Part of a payment applied to an invoice named by id or by number."""

    invoice_ref: str | None
    invoice_number: str | None
    amount: int
    invoice_id: int | None = None
    """The invoice's store id, when a coordinator applied the payment by hand."""


@dataclass(slots=True)
class PaymentRow:
    """A payment as the reconciler sees it; amounts in minor units."""

    id: int
    source: str
    external_id: str
    reference: str | None
    payer: str | None
    customer_ref: str | None
    currency: str
    amount: int
    unapplied: int
    status: str | None
    received: date | None
    memo: str
    applications: list[Application] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)
    entity: str = "payment"
    """``payment``, or ``bank_transaction`` for a bank credit read as a receipt."""

    @property
    def applied(self) -> int:
        return self.amount - self.unapplied

    @property
    def record_name(self) -> str:
        """What the hub calls it: ``SOURCE:ENTITY:ID``."""
        return names.record_name(self.source, self.entity, self.external_id)


@dataclass(slots=True)
class CustomerRow:
    """A customer as the reconciler sees it: ``aliases`` are the other names it pays
    under (its record's and those a coordinator confirmed), ``emails`` its known
    addresses."""

    id: int
    source: str
    external_id: str
    name: str
    refs: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def record_name(self) -> str:
        """What the hub calls it: ``SOURCE:customer:ID`` (``name`` is the customer's)."""
        return names.record_name(self.source, "customer", self.external_id)
