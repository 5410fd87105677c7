"""A hold: the rule that keeps a reminder from going, and why, in a person's words.

Two kinds, told apart by :attr:`Hold.until`:

- a **hold** (``until`` is None) keeps the reminder from going while the
  rule applies: the invoice is paid, void or credited somewhere, a receipt
  covers it, a payment is applied awaiting confirmation. The reminder is
  recorded ``held`` with the rule and the reason, and is queued again by the
  first ``collect`` at which no rule holds it;
- a **wait** (``until`` set) only delays it: outside the contact hours in
  the customer's time, on a weekend or a holiday there, or past the contact
  cap. The reminder stays queued, with the rule and the reason noted, and
  goes at the first send at which no rule stops it.

Rules are checked when a reminder is queued and again right before it is
handed to the mail server (:mod:`hub.collect.gate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PAID_ELSEWHERE = "paid_elsewhere"
"""The invoice, or a linked copy in another system, is paid, void or written off."""
CREDITED = "credited"
"""Credit notes take the whole balance off the invoice or a linked copy."""
COVERED_BY_RECEIPT = "covered_by_receipt"
"""Cash application decided that payments or bank credits pay the balance."""
POSSIBLY_PAID = "possibly_paid"
"""A receipt the cash application could not decide on may pay the balance."""
AWAITING_CONFIRMATION = "applied_awaiting_confirmation"
"""A coordinator applied a receipt to it; the invoice's system has not confirmed it yet."""
CONTACT_HOURS = "contact_hours"
WEEKEND = "weekend"
HOLIDAY = "holiday"
CONTACT_CAP = "contact_cap"

KNOWLEDGE_RULES = (PAID_ELSEWHERE, CREDITED, COVERED_BY_RECEIPT, POSSIBLY_PAID,
                   AWAITING_CONFIRMATION)
TIMING_RULES = (CONTACT_HOURS, WEEKEND, HOLIDAY, CONTACT_CAP)


@dataclass(frozen=True, slots=True)
class Hold:
    """One rule that stops a reminder: its name, why, and (for a wait) until when."""

    rule: str
    """A short stable name (``paid_elsewhere``, ``contact_hours``, ...)."""
    reason: str
    """What a coordinator reads: which record, which payment, which hour."""
    until: datetime | None = None
    """For a wait: the first moment (UTC) the rule lets it go; None for a hold."""

    @property
    def waits(self) -> bool:
        return self.until is not None

    def text(self) -> str:
        """``rule: reason``, as ``reminders list --held`` shows it."""
        return f"{self.rule}: {self.reason}"
