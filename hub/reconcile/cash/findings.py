"""The cash run's decisions as findings a coordinator works through.

Money received and not applied is an ``unapplied_payment`` (or
``partly_applied_payment``) finding, whose details carry the decision and the
ranked suggestions; a receipt held because its memo names an invoice in
another currency, or a paid or void one, gets a finding of its own kind; a
second booking of one payment is a ``duplicate_payment``. Receipts that are
not a customer's, settled, or booked elsewhere raise nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hub.models.limits import excerpt
from hub.money import from_minor_units
from hub.reconcile.cash import run
from hub.reconcile.cash.run import Decision
from hub.reconcile.kinds import Finding, Kind
from hub.reconcile.text import money


def day(value: object) -> str:
    return f"{value.day} {value:%B %Y}" if hasattr(value, "day") else "an unknown date"


def _head(d: Decision) -> str:
    p = d.receipt
    who = p.payer or p.customer_ref or "an unknown payer"
    where = "booked on the bank statement" if d.bank else "received"
    return f"{money(p.amount, p.currency)} from {who} {where} in {p.source} on {day(p.received)}"


def _details(d: Decision) -> dict[str, object]:
    return {"record": d.label, "memo": excerpt(d.receipt.memo),
            "suggestions": [s.as_dict() for s in d.suggestions], "decision": d.as_dict()}


def unapplied(decisions: Iterable[Decision]) -> Iterator[Finding]:
    """A finding per receipt with money to apply, or held."""
    for d in decisions:
        p, cur = d.receipt, d.receipt.currency
        if d.kind in (run.WRONG_CURRENCY, run.CLOSED):
            kind = Kind.PAYMENT_CURRENCY if d.kind == run.WRONG_CURRENCY else Kind.CLOSED_INVOICE
            yield Finding(f"{kind.value}:{p.source}:{p.external_id}", kind,
                          [p.id, *(i.id for i in d.invoices)],
                          f"{_head(d)}: {d.reason}.", cur, from_minor_units(p.unapplied, cur),
                          p.payer, details=_details(d))
            continue
        if d.kind not in (*run.MATCHED, run.UNKNOWN):
            continue
        partly = p.applied > 0
        kind = Kind.PARTLY_APPLIED_PAYMENT if partly else Kind.UNAPPLIED_PAYMENT
        if partly:
            text = (f"{_head(d)} is applied for {money(p.applied, cur)} only; "
                    f"{money(p.unapplied, cur)} is not applied to any invoice.")
        else:
            text = f"{_head(d)} is not applied to any invoice."
        if d.kind in run.MATCHED:
            best = d.suggestions[0]
            text += (f" Most likely: {', '.join(str(i.number) for i in best.invoices)} "
                     f"({d.kind.replace('_', ' ')}, {best.confidence:.0%}): "
                     f"{best.reason}.")
        else:
            text += f" No open invoice fits it with confidence ({d.reason}); ask the payer."
            if d.suggestions:
                s = d.suggestions[0]
                text += (f" Possible but unsure: {', '.join(str(i.number) for i in s.invoices)}"
                         f" ({s.confidence:.0%}): {s.reason}.")
        yield Finding(f"{kind.value}:{p.source}:{p.external_id}", kind, [p.id], text, cur,
                      from_minor_units(p.unapplied, cur), p.payer, details=_details(d))


def duplicates(decisions: Iterable[Decision]) -> Iterator[Finding]:
    """A finding per receipt booked twice."""
    for d in decisions:
        if d.kind != run.DUPLICATE or d.original is None:
            continue
        first, second, cur = d.original, d.receipt, d.receipt.currency
        yield Finding(
            f"{Kind.DUPLICATE_PAYMENT.value}:{first.source}:{first.external_id}|"
            f"{second.external_id}", Kind.DUPLICATE_PAYMENT, [first.id, second.id],
            f"{first.source} has {money(first.amount, cur)} from "
            f"{first.payer or first.customer_ref} twice ({day(first.received)} and "
            f"{day(second.received)}): {d.reason}. If it was booked twice, delete one; if "
            "the customer paid twice, refund or credit them.",
            cur, from_minor_units(second.amount, cur), first.payer,
            details={"records": [first.record_name, second.record_name],
                     "decision": d.as_dict()})
