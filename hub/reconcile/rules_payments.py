"""Findings about payments: not applied, partly applied, paying more than an
invoice asks, or keyed in twice."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from hub.money import from_minor_units
from hub.reconcile.kinds import Finding, Kind
from hub.reconcile.matching import MatchRule, OpenInvoices, number_index, suggest
from hub.reconcile.multimap import MultiMap
from hub.reconcile.pairs import close_pairs
from hub.reconcile.snapshot import InvoiceRow, PaymentRow
from hub.reconcile.text import candidate_numbers, money, name_key, number_key

SETTLED_STATUSES = ("failed", "canceled", "cancelled", "refunded", "pending", "requires_action")


def day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "an unknown date"


class Applications:
    """Which payment pays which invoice, from the payments' own applications."""

    def __init__(self) -> None:
        self.paid: MultiMap[int, tuple[PaymentRow, int]] = MultiMap()

    @classmethod
    def build(cls, invoices: Sequence[InvoiceRow], payments: Sequence[PaymentRow],
              prefixes: Sequence[str], numbers: MultiMap[str, InvoiceRow] | None = None
              ) -> Applications:
        apps = [(p, app) for p in payments for app in p.applications]
        out = cls()
        if not apps:
            return out
        by_id = ({i.id: i for i in invoices} if any(a.invoice_id for _, a in apps) else {})
        by_ext = ({(i.source, i.external_id): i for i in invoices}
                  if any(a.invoice_ref for _, a in apps) else {})
        by_number = numbers if numbers is not None else (
            number_index(invoices, prefixes) if any(a.invoice_number for _, a in apps)
            else MultiMap())
        for p, app in apps:
            target = by_id.get(app.invoice_id) if app.invoice_id else None
            if target is None and app.invoice_ref:
                target = by_ext.get((p.source, app.invoice_ref))
            if target is None and app.invoice_number:
                same = by_number.get(number_key(app.invoice_number, prefixes) or "")
                target = _pick(same, p)
            if target is not None and target.currency == p.currency:
                out.paid.add(target.id, (p, app.amount))
        return out

    def invoice_ids(self) -> set[int]:
        return set(self.paid.keys())


def _pick(same: Sequence[InvoiceRow], p: PaymentRow) -> InvoiceRow | None:
    """The invoice a payment names by number: its own system's, else the first in
    source order among those in its currency (the same sale kept in two systems is
    linked, and what evidences one evidences the other)."""
    if not same:
        return None
    own = [i for i in same if i.source == p.source]
    if own:
        return own[0]
    fitting = sorted((i for i in same if i.currency == p.currency), key=lambda i: i.source)
    return fitting[0] if fitting else None


def _live(p: PaymentRow) -> bool:
    return (p.status or "succeeded").lower() not in SETTLED_STATUSES and p.amount > 0


def unapplied(payments: Sequence[PaymentRow], open_invoices: OpenInvoices,
              extra_rules: Sequence[MatchRule] = ()) -> Iterator[Finding]:
    """Payments with money not applied to any invoice, each with ranked suggestions."""
    for p in payments:
        if not _live(p) or p.unapplied <= 0 or open_invoices.settled_by_memo(p):
            continue
        cur = p.currency
        ideas = suggest(p, open_invoices, extra_rules)
        partly = p.applied > 0
        kind = Kind.PARTLY_APPLIED_PAYMENT if partly else Kind.UNAPPLIED_PAYMENT
        who = p.payer or p.customer_ref or "an unknown payer"
        head = (f"{money(p.amount, cur)} from {who} received in {p.source} on "
                f"{day(p.received)}")
        if partly:
            text = (f"{head} is applied for {money(p.applied, cur)} only; "
                    f"{money(p.unapplied, cur)} is not applied to any invoice.")
        else:
            text = f"{head} is not applied to any invoice."
        if ideas:
            best = ideas[0]
            text += f" Most likely: {', '.join(str(i.number) for i in best.invoices)} "
            text += f"({best.confidence:.0%}): {best.reason}."
        else:
            text += " No open invoice fits it; ask the payer what it is for."
        yield Finding(
            f"{kind.value}:{p.source}:{p.external_id}", kind, [p.id], text, cur,
            from_minor_units(p.unapplied, cur), p.payer,
            details={"record": f"{p.source}:{p.external_id}", "memo": p.memo,
                     "suggestions": [s.as_dict() for s in ideas]})


def overpayments(invoices: Sequence[InvoiceRow], apps: Applications) -> Iterator[Finding]:
    """Invoices whose applied payments add up to more than the invoice."""
    for inv in invoices:
        paid = apps.paid.get(inv.id)
        if not paid:
            continue
        total = sum(amount for _, amount in paid)
        if total <= inv.total:
            continue
        cur = inv.currency
        excess = total - inv.total
        names = ", ".join(f"{p.source}:{p.reference or p.external_id}" for p, _ in paid)
        yield Finding(
            f"{Kind.OVERPAYMENT.value}:{inv.source}:{inv.external_id}", Kind.OVERPAYMENT,
            [inv.id, *(p.id for p, _ in paid)],
            f"{inv.number or inv.external_id} is for {money(inv.total, cur)}, but payments "
            f"of {money(total, cur)} are applied to it ({names}): {money(excess, cur)} "
            f"too much. Refund {inv.customer or 'the customer'} or keep it as a credit.",
            cur, from_minor_units(excess, cur), inv.customer,
            details={"record": f"{inv.source}:{inv.external_id}"})


def duplicates(payments: Sequence[PaymentRow], window_days: int) -> Iterator[Finding]:
    """Two payments in one system from the same payer for the same amount, days apart."""
    def same(p: PaymentRow) -> tuple[str, str, str, int] | None:
        if not _live(p):
            return None
        who = name_key(p.payer) or (p.customer_ref or "")
        return (p.source, who, p.currency, p.amount) if who else None

    for first, second in close_pairs(payments, same, lambda p: p.received, window_days):
        if first.applications and second.applications and {
            a.invoice_ref or a.invoice_number for a in first.applications} != {
                a.invoice_ref or a.invoice_number for a in second.applications}:
            continue  # two payments for two different invoices
        assert first.received and second.received
        gap = (second.received - first.received).days
        cur = first.currency
        when = "the same day" if gap == 0 else f"{gap} day{'s' if gap > 1 else ''} apart"
        yield Finding(
            f"{Kind.DUPLICATE_PAYMENT.value}:{first.source}:{first.external_id}|"
            f"{second.external_id}", Kind.DUPLICATE_PAYMENT, [first.id, second.id],
            f"{first.source} has two payments of {money(first.amount, cur)} from "
            f"{first.payer or first.customer_ref}, {when} ({day(first.received)} and "
            f"{day(second.received)}). If it was keyed in twice, delete one; if the "
            "customer paid twice, refund or credit them.",
            cur, from_minor_units(second.amount, cur), first.payer,
            details={"records": [f"{first.source}:{first.external_id}",
                                 f"{second.source}:{second.external_id}"]})


def payment_evidence(invoices: Sequence[InvoiceRow], payments: Sequence[PaymentRow],
                     bank_texts: Sequence[str], apps: Applications,
                     prefixes: Sequence[str]) -> set[int]:
    """Invoices that some payment, memo or bank credit pays or names."""
    mentioned: set[str] = set()
    for p in payments:
        if _live(p):
            mentioned |= candidate_numbers(p.memo, prefixes)
    for text in bank_texts:
        mentioned |= candidate_numbers(text, prefixes)
    out = apps.invoice_ids()
    for inv in invoices:
        key = number_key(inv.number, prefixes)
        if key and key in mentioned:
            out.add(inv.id)
    return out
