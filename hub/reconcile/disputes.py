"""Disputes a connector pulled (a card chargeback in Stripe): findings, and money out.

- An open dispute is a ``dispute_open`` finding with its deadline: "evidence
  due in 12 days (2026-12-10)". Its severity follows the days left: high
  when 3 or fewer remain (or the deadline passed), medium within 10, low
  after that or once the evidence is sent (under review). It is resolved by
  the first reconcile after the dispute closes.
- A lost dispute (or one the company accepted) is money out: the disputed
  amount no longer pays the invoice, so the figures (the report, metrics,
  aging) count that much of the invoice as owed again and the payment as that
  much smaller; the dispute fee the balance transaction withdrew is said in a
  ``dispute_lost`` finding beside it. A won dispute changes nothing: the money
  came back, and the figures count the payment in full.

Disputes raised by a customer's reply (:mod:`hub.collect.replies`) have no
deadline and wait on the replies worklist instead; they hold reminders
through :mod:`hub.collect.contact_holds` as these do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import ValidationError

from hub.contract.names import record_name
from hub.contract.rules import Finding, Severity
from hub.models import Dispute, DisputeStatus
from hub.money import from_minor_units, to_minor_units
from hub.reconcile.kinds import Kind
from hub.reconcile.tables import InvoiceTable, PaymentTable
from hub.reconcile.text import money
from hub.store import Connection, reading

URGENT_DAYS = 3
"""An open dispute with this many days or fewer left to answer is high severity."""
SOON_DAYS = 10
"""... with this many or fewer, medium; more, low."""
MONEY_OUT = (DisputeStatus.LOST, DisputeStatus.ACCEPTED)


@dataclass(frozen=True, slots=True)
class PulledDispute:
    """A dispute record of the store, with its record id."""

    record_id: int
    dispute: Dispute

    @property
    def name(self) -> str:
        return record_name(self.dispute.source, "dispute", self.dispute.external_id)

    def invoice_ids(self) -> list[str]:
        """The ids (in the dispute's own system) of the invoices it names."""
        prefix = f"{self.dispute.source}:invoice:"
        return [ref[len(prefix):] for ref in self.dispute.invoice_refs if ref.startswith(prefix)]

    def charge_id(self) -> str | None:
        """The id of the payment record the dispute takes money from."""
        ref = self.dispute.payment_ref
        prefix = f"{self.dispute.source}:payment:"
        return ref[len(prefix):] if ref and ref.startswith(prefix) else None


def load(conn: Connection, as_of: datetime | None = None) -> list[PulledDispute]:
    """Every live dispute record (``as_of``: as the hub knew them then)."""
    out: list[PulledDispute] = []
    for batch in reading.batches(conn, "dispute", as_of=as_of):
        for row in batch:
            try:
                out.append(PulledDispute(int(row[0]), Dispute.model_validate_json(row[-1])))
            except ValidationError:  # the store keeps valid records only; be safe anyway
                continue
    return out


@dataclass(slots=True)
class MoneyOut:
    """What a lost dispute took back, as the figures count it (minor units)."""

    invoice_row: int | None
    payment_row: int | None
    amount: int
    reopened: int
    """How much of the invoice is owed again."""


def take_back(disputes: list[PulledDispute], invoices: InvoiceTable,
              payments: PaymentTable) -> dict[int, MoneyOut]:
    """Count each lost dispute as money out in the tables: the payment is that much
    smaller, its application to the invoice too, and the invoice owes it again.
    Returns what was taken, by dispute record id."""
    lost = [d for d in disputes if d.dispute.status in MONEY_OUT
            and d.dispute.amount is not None and d.dispute.currency]
    if not lost:
        return {}
    inv_row = {(invoices.source[r], invoices.external_id.text(r)): r
               for r in range(len(invoices))}
    pay_row = {(payments.source[r], payments.external_id.text(r)): r
               for r in range(len(payments))}
    out: dict[int, MoneyOut] = {}
    for d in lost:
        dispute = d.dispute
        assert dispute.amount is not None and dispute.currency is not None
        minor = to_minor_units(dispute.amount, dispute.currency)
        invoice_ids = d.invoice_ids()
        irow = next((inv_row[(dispute.source, i)] for i in invoice_ids
                     if (dispute.source, i) in inv_row), None)
        charge = d.charge_id()
        prow = pay_row.get((dispute.source, charge)) if charge else None
        reopened = 0
        if irow is not None and invoices.currency[irow] == dispute.currency:
            reopened = min(minor, invoices.total[irow] - invoices.balance[irow])
            if reopened > 0:
                invoices.balance[irow] += reopened
                invoices.status.set(irow, "open" if invoices.balance[irow] >= invoices.total[irow]
                                    else "partially_paid")
        if prow is not None and payments.currency[prow] == dispute.currency:
            _shrink(payments, prow, minor, set(invoice_ids))
        out[d.record_id] = MoneyOut(irow, prow, minor, reopened)
    return out


def _shrink(payments: PaymentTable, row: int, minor: int, invoice_ids: set[str]) -> None:
    """The payment paid ``minor`` less: first less on the disputed invoice, then less
    unapplied."""
    taken = min(minor, payments.amount[row])
    payments.amount[row] -= taken
    left = taken
    start = payments.app_end[row - 1] if row else 0
    for a in range(start, payments.app_end[row]):
        if left and payments.app_ref[a] in invoice_ids:
            less = min(left, payments.app_amount[a])
            payments.app_amount[a] -= less
            left -= less
    payments.unapplied[row] = max(0, payments.unapplied[row] - left)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def deadline_text(due: date | None, today: date) -> str:
    """"evidence due in 12 days (2026-12-10)", "evidence due today (...)", "evidence was
    due 2 days ago (...)"."""
    if due is None:
        return "no evidence deadline given"
    left = (due - today).days
    if left > 0:
        return f"evidence due in {_days(left)} ({due})"
    if left == 0:
        return f"evidence due today ({due})"
    return f"evidence was due {_days(-left)} ago ({due})"


def severity_of(dispute: Dispute, today: date) -> Severity:
    if dispute.status is DisputeStatus.UNDER_REVIEW:
        return Severity.LOW
    if dispute.evidence_due is None:
        return Severity.MEDIUM
    left = (dispute.evidence_due - today).days
    if left <= URGENT_DAYS:
        return Severity.HIGH
    return Severity.MEDIUM if left <= SOON_DAYS else Severity.LOW


def findings(disputes: list[PulledDispute], taken: dict[int, MoneyOut],
             invoices: InvoiceTable, payments: PaymentTable, today: date) -> list[Finding]:
    """``dispute_open`` for each open dispute, ``dispute_lost`` for each lost one."""
    inv_row = {(invoices.source[r], invoices.external_id.text(r)): r
               for r in range(len(invoices))}
    pay_row = {(payments.source[r], payments.external_id.text(r)): r
               for r in range(len(payments))}
    out: list[Finding] = []
    for d in disputes:
        dispute = d.dispute
        lost = dispute.status in MONEY_OUT
        if not (dispute.status.is_open or lost):
            continue
        irow = next((inv_row[(dispute.source, i)] for i in d.invoice_ids()
                     if (dispute.source, i) in inv_row), None)
        charge = d.charge_id()
        prow = pay_row.get((dispute.source, charge)) if charge else None
        ids = [d.record_id]
        ids += [invoices.ids[irow]] if irow is not None else []
        ids += [payments.ids[prow]] if prow is not None else []
        numbers = ", ".join(dispute.invoice_numbers)
        what = (f"{dispute.charge_ref or 'a payment'}"
                + (f" (paying {numbers})" if numbers else ""))
        cur = dispute.currency
        amount = (money(to_minor_units(dispute.amount, cur), cur)
                  if dispute.amount is not None and cur else "an amount")
        reason = f", reason: {dispute.reason.replace('_', ' ')}" if dispute.reason else ""
        customer = (invoices.customer[irow] if irow is not None else None) or dispute.customer_ref
        details: dict[str, object] = {
            "status": dispute.status.value, "reason": dispute.reason,
            "evidence_due": dispute.evidence_due.isoformat() if dispute.evidence_due else None,
            "invoices": list(dispute.invoice_numbers), "charge": dispute.charge_ref}
        fee = _fee(dispute)
        if lost:
            moved = taken.get(d.record_id)
            owed = (f" {numbers} is owed again: "
                    f"{money(moved.reopened, cur)} of it counts as open in the figures."
                    if moved is not None and moved.reopened and cur and numbers else "")
            fee_text = f" and {fee} dispute fee" if fee else ""
            verb = "was accepted" if dispute.status is DisputeStatus.ACCEPTED else "was lost"
            stake = dispute.amount
            if dispute.fee is not None and dispute.fee_currency == cur and stake is not None:
                stake = stake + dispute.fee
            out.append(Finding(
                key=f"{Kind.DISPUTE_LOST.value}:{dispute.source}:{dispute.external_id}",
                kind=Kind.DISPUTE_LOST.value, record_ids=ids, severity=Severity.HIGH,
                explanation=(f"{d.name} {verb}{reason}: {amount}{fee_text} of {what} went "
                             f"back to the customer's card issuer.{owed} Ask the customer to "
                             "pay it another way, or write it off."),
                customer=customer, currency=cur, money_at_stake=stake,
                details={**details, "fee": fee,
                         "owed_again": (str(from_minor_units(moved.reopened, cur))
                                        if moved is not None and cur else None)}))
            continue
        state = ("evidence sent, waiting for the card network's decision"
                 if dispute.status is DisputeStatus.UNDER_REVIEW
                 else deadline_text(dispute.evidence_due, today))
        out.append(Finding(
            key=f"{Kind.DISPUTE_OPEN.value}:{dispute.source}:{dispute.external_id}",
            kind=Kind.DISPUTE_OPEN.value, record_ids=ids,
            severity=severity_of(dispute, today),
            explanation=(f"{d.name} disputes {amount} of {what}{reason}; {state}. Reminders "
                         "about the invoice are held until it closes. Answer it in "
                         f"{dispute.source} with the evidence, or accept it."),
            customer=customer, currency=cur, money_at_stake=dispute.amount,
            details={**details, "days_left": (dispute.evidence_due - today).days
                     if dispute.evidence_due else None}))
    return out


def _fee(dispute: Dispute) -> str | None:
    if dispute.fee is None or not dispute.fee_currency or not dispute.fee:
        return None
    return money(to_minor_units(dispute.fee, dispute.fee_currency), dispute.fee_currency)
