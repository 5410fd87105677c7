"""Holds from everything the hub knows about an invoice, in every system.

A reminder for an invoice of ``[collections] source`` is held when:

- the invoice, or a copy of it in another system that the reconciler links
  to it, is paid, void or uncollectible, or has nothing left open
  (``paid_elsewhere``);
- credit notes in its own or a linked copy's system take the whole balance
  off (``credited``);
- the reconciler's cash application decided that payments, remittances or
  bank credits pay what is open on it or on a linked copy
  (``covered_by_receipt``), or, for a receipt it could not decide on, that
  its best suggestion would (``possibly_paid``);
- a coordinator applied a receipt to it or a linked copy (``apply-payment``)
  that the invoice's system has not confirmed yet
  (``applied_awaiting_confirmation``).

:class:`Known` reads the store once (as a reconcile run does, and writing
nothing) and then answers for any invoice of the store by its record id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import orjson

from hub.collect.holds import (
    AWAITING_CONFIRMATION,
    COVERED_BY_RECEIPT,
    CREDITED,
    PAID_ELSEWHERE,
    POSSIBLY_PAID,
    Hold,
)
from hub.contract.rows import InvoiceRow
from hub.money import to_minor_units
from hub.reconcile import linking, payouts
from hub.reconcile.cash import decide
from hub.reconcile.cash import run as cash_run
from hub.reconcile.context import RunContext
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.snapshot import load
from hub.reconcile.text import money
from hub.store import Connection, reading

CLOSED = ("paid", "void", "uncollectible")
POSSIBLE = 0.5
"""An undecided receipt's best suggestion at least this sure holds what it would pay."""


@dataclass(slots=True)
class _Paid:
    amount: int = 0
    by: list[str] = field(default_factory=list)


class Known:
    """What pays, closes or credits each invoice of the store, from every system."""

    def __init__(self, conn: Connection, settings: ReconcileSettings,
                 rules: RuleSet | None = None) -> None:
        rules = rules if rules is not None else RuleSet.builtin()
        snapshot = load(conn)
        context = RunContext(snapshot, settings, rules.match, linking.load_manual(conn),
                             payouts.load(conn))
        invoices = context.invoices
        self._rows = [invoices[r] for r in range(len(invoices))]
        self._row_of = {inv.id: r for r, inv in enumerate(self._rows)}
        self._linked: dict[int, set[int]] = defaultdict(set)
        for _, links in context.pair_links:
            for left, right in zip(links.left, links.right, strict=True):
                self._linked[left].add(right)
                self._linked[right].add(left)
        self._decided: dict[int, _Paid] = defaultdict(_Paid)
        self._possible: dict[int, _Paid] = defaultdict(_Paid)
        for d in context.cash:
            self._add_decision(d, settings.matching.confident)
        self._awaiting: dict[int, list[str]] = defaultdict(list)
        for applications in snapshot.awaiting.values():
            for c in applications:
                row = self._row_of.get(c.invoice_id)
                if row is not None:
                    self._awaiting[row].append(
                        f"{money(c.amount, c.currency)} from {c.receipt} applied to "
                        f"{c.invoice}, {'queued for' if c.state == 'queued' else 'sent to'} "
                        f"{c.target} and not confirmed yet")
        self._credits = _credit_notes(conn)

    def _add_decision(self, d: cash_run.Decision, confident: float) -> None:
        if d.suggestions and d.kind in cash_run.MATCHED and d.confidence >= confident:
            target = self._decided
        elif d.kind == cash_run.UNKNOWN and d.suggestions and (
                d.suggestions[0].confidence >= POSSIBLE):
            target = self._possible
        else:
            return
        best = d.suggestions[0]
        amounts = ([i.balance for i in best.invoices] if best.kind == decide.SHORT
                   else best.amounts)
        p = d.receipt
        what = (f"{money(p.amount, p.currency)} from {p.payer or p.customer_ref or 'a payer'}"
                f" ({d.label}{', ' + p.received.isoformat() if p.received else ''})")
        for inv, amount in zip(best.invoices, amounts, strict=False):
            row = self._row_of.get(inv.id)
            if row is not None:
                paid = target[row]
                paid.amount += amount
                paid.by.append(what)

    def copies(self, record_id: int) -> list[InvoiceRow]:
        """The invoice and every copy the reconciler links to it, the invoice first."""
        row = self._row_of.get(record_id)
        if row is None:
            return []
        seen, todo = [row], [row]
        while todo:
            for other in sorted(self._linked.get(todo.pop(), ())):
                if other not in seen:
                    seen.append(other)
                    todo.append(other)
        return [self._rows[r] for r in seen]

    def holds(self, record_id: int) -> list[Hold]:
        """Every rule that holds a reminder of the invoice with this record id."""
        row = self._row_of.get(record_id)
        if row is None:
            return []
        own = self._rows[row]
        copies = self.copies(record_id)
        out: list[Hold] = []
        for inv in copies:
            if inv.status in CLOSED or inv.balance <= 0:
                state = inv.status.replace("_", " ") if inv.status in CLOSED else "paid"
                where = "" if inv is own else f", its copy in {inv.source}"
                out.append(Hold(PAID_ELSEWHERE, f"{inv.record_name} ({inv.number}{where}) is "
                                                f"{state}"))
                break
        for inv in copies:
            credited = self._credits.get((inv.source, inv.external_id), 0)
            if credited and (credited >= inv.total or (inv.balance == inv.total
                                                       and credited >= inv.balance)):
                out.append(Hold(CREDITED, f"credit notes in {inv.source} take "
                                          f"{money(credited, inv.currency)} off "
                                          f"{inv.record_name} ({inv.number})"))
                break
        rows = [self._row_of[i.id] for i in copies]
        for rule, found, verb in ((COVERED_BY_RECEIPT, self._decided, "pays"),
                                  (POSSIBLY_PAID, self._possible, "may pay")):
            for r in rows:
                paid = found.get(r)
                if paid is not None and paid.amount >= own.balance > 0:
                    inv = self._rows[r]
                    out.append(Hold(rule, f"{_listed(paid.by)} {verb} the "
                                          f"{money(own.balance, own.currency)} open on "
                                          f"{inv.record_name} ({inv.number}), as cash "
                                          "application reads it (`billing-hub cash`)"))
                    break
        waiting = [text for r in rows for text in self._awaiting.get(r, ())]
        if waiting:
            out.append(Hold(AWAITING_CONFIRMATION, "; ".join(waiting)))
        return out


def _listed(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _credit_notes(conn: Connection) -> dict[tuple[str, str], int]:
    """(source, credited invoice's id there) -> minor units credited by live credit notes."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for batch in reading.batches(conn, "credit_note"):
        for row in batch:
            source, data = row[1], row[-1]
            doc = orjson.loads(data)
            ref = doc.get("invoice_ref")
            if not ref or str(doc.get("status") or "issued") == "void":
                continue
            out[(source, str(ref))] += to_minor_units(Decimal(str(doc["total"])),
                                                      str(doc["currency"]))
    return out
