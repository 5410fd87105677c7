"""Telling the coordinator which receipts they applied that wait for the invoice's system.

An application made with ``apply-payment`` counts only once a sync reads it
back from the invoice's system (:mod:`hub.reconcile.queued`). Until then the
receipt's finding stays open, and this says, at its start, what was applied
and where it waits: ``Applied, awaiting confirmation: 98.00 USD to
qbo:invoice:130 (1037), sent to qbo; the next sync of qbo confirms it.``
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from hub.money import from_minor_units
from hub.reconcile.kinds import Finding
from hub.reconcile.queued import QUEUED, Coordinated

LEAD = "Applied, awaiting confirmation"


def note(applications: Sequence[Coordinated]) -> str:
    """One sentence naming each application and what it waits for."""
    parts = []
    for c in applications:
        amount = f"{from_minor_units(c.amount, c.currency):,} {c.currency}"
        number = f" ({c.invoice_number})" if c.invoice_number else ""
        if c.state == QUEUED:
            where = (f"queued for {c.target}, not sent yet (`billing-hub push send "
                     f"{c.target}`)")
        else:
            where = f"sent to {c.target}; the next sync of {c.target} confirms it"
        parts.append(f"{amount} to {c.invoice}{number}, {where}")
    return f"{LEAD}: {'; '.join(parts)}."


def annotate(findings: Iterable[Finding], awaiting: Mapping[int, list[Coordinated]]
             ) -> Iterator[Finding]:
    """``findings`` as given, those of a receipt with applications awaiting confirmation
    led by :func:`note` and with the applications in ``details["awaiting_confirmation"]``."""
    for finding in findings:
        waiting = [c for rid in finding.record_ids[:1] for c in awaiting.get(rid, ())]
        if waiting:
            finding.explanation = f"{note(waiting)} {finding.explanation}"
            finding.details = {**finding.details,
                               "awaiting_confirmation": [c.as_dict() for c in waiting]}
        yield finding
