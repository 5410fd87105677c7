"""The rule contract: what a reconciler rule is handed, and what it offers.

The reconciler applies two sorts of rules, and every one of them, the hub's
own included, is registered through a hook (:mod:`hub.contract.hookspecs`):

- a **finding rule** (``hub_finding_rules``) looks at a run's records and
  yields :class:`Finding` objects of the kinds it registered;
- a **match rule** (``hub_match_rules``) is shown one unapplied payment and
  the open invoices, and yields :class:`Suggestion` objects: which invoices
  the payment probably pays, how sure, and why.

The hub's built-in rules are a plugin like any other
(``hub/reconcile/default_rules.py``), registered first. Rules see records as
rows (:mod:`hub.contract.rows`, amounts in integer minor units) through the
small protocols below, never the reconciler's own tables or indexes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from hub.contract.rows import Application, CustomerRow, InvoiceRow, PaymentRow

__all__ = [
    "KIND_NAME",
    "Application",
    "CustomerIndex",
    "CustomerRow",
    "Finding",
    "FindingRule",
    "FindingRuleSpec",
    "InvoiceRow",
    "InvoiceRows",
    "MatchRule",
    "MatchRuleSpec",
    "OpenInvoices",
    "PayerInvoices",
    "PaymentRow",
    "PaymentRows",
    "RuleContext",
    "Severity",
    "Suggestion",
]

KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a finding kind may be called: it is written in finding keys, URLs and
``billing-hub findings list --kind``."""


class Severity(StrEnum):
    """How much a finding matters."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(slots=True)
class Finding:
    """One problem, as a rule reports it.

    ``key`` identifies the problem, not the run: the same problem found again
    gets the same key, so re-running the reconciler updates it instead of
    adding a second one; start it with the kind (``"no_due_date:books:INV-2002"``).
    ``kind`` is one of the kinds the rule registered; ``severity`` left at
    ``None`` is the default severity registered for that kind.
    ``money_at_stake`` is in ``currency``.
    """

    key: str
    kind: str
    record_ids: list[int]
    explanation: str
    currency: str | None = None
    money_at_stake: Decimal | None = None
    customer: str | None = None
    severity: Severity | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Suggestion:
    """Apply ``amounts`` (minor units) of the payment to ``invoices``, with this
    confidence (0 to 1), because of ``reason`` (words a coordinator reads); ``rule``
    names the evidence (``memo_reference``, ``exact_amount`` ...).

    ``kind`` says what the payment is for these invoices: ``full`` (one balance
    exactly), ``many`` (several balances exactly), ``partial`` (an instalment),
    ``short_fee`` (a balance less a bank charge or a discount, the difference to
    write off), ``overpayment`` (more than the balances; the excess stays
    unapplied); empty when the rule does not say.
    """

    invoices: list[InvoiceRow]
    amounts: list[int]
    confidence: float
    reason: str
    rule: str
    kind: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The suggestion as a finding's details keep it."""
        return {
            "invoices": [i.record_name for i in self.invoices],
            "numbers": [i.number for i in self.invoices],
            "record_ids": [i.id for i in self.invoices],
            "amounts_minor": self.amounts,
            "confidence": round(self.confidence, 2),
            "reason": self.reason,
            "rule": self.rule,
            "kind": self.kind,
        }


class InvoiceRows(Protocol):
    """A run's invoices: ``rows[i]`` builds the row at position ``i``; iterating
    builds them all, one at a time (fine for thousands; the built-in rules scan
    the reconciler's columns instead)."""

    def __len__(self) -> int: ...
    def __getitem__(self, row: int) -> InvoiceRow: ...
    def __iter__(self) -> Iterator[InvoiceRow]: ...


class PaymentRows(Protocol):
    """A run's payments, as :class:`InvoiceRows` holds the invoices."""

    def __len__(self) -> int: ...
    def __getitem__(self, row: int) -> PaymentRow: ...
    def __iter__(self) -> Iterator[PaymentRow]: ...


class CustomerIndex(Protocol):
    """Open invoices by customer key, the oldest due first: ``r:REF`` for the
    customer's reference in its system, ``n:NAME KEY`` for its name as compared
    (lower case, without punctuation or legal forms)."""

    def get(self, key: str, default: Sequence[InvoiceRow] = ()) -> Sequence[InvoiceRow]: ...
    def __contains__(self, key: object) -> bool: ...
    def __len__(self) -> int: ...
    def keys(self) -> Iterator[str]: ...


@dataclass(frozen=True, slots=True)
class PayerInvoices:
    """The open invoices a payment's payer owes, as the built-in rules weigh them."""

    invoices: tuple[InvoiceRow, ...]
    """In the payment's currency, not already named by its applications, oldest due first."""
    close_name: str | None
    """The customer's name when the payer was only found by a close name (else ``None``)."""
    score: float
    """How close that name is, 0 to 100 (100 when found by reference or exact name)."""


class OpenInvoices(Protocol):
    """What a match rule may ask of the run's open invoices."""

    @property
    def by_customer(self) -> CustomerIndex:
        """Open invoices by customer key."""
        ...

    def open_by_number(self, key: str) -> list[InvoiceRow]:
        """The open invoices whose number has this key (see :meth:`numbers_in`)."""
        ...

    def numbers_in(self, text: str) -> set[str]:
        """The keys of the invoice numbers written in ``text`` (a memo, a remittance),
        read as the hub reads them (configured prefixes, case, leading zeros)."""
        ...

    def payer_invoices(self, payment: PaymentRow) -> PayerInvoices:
        """The payer's open invoices, found by reference, name or a close name."""
        ...

    def tolerance(self, payment: PaymentRow, invoice: InvoiceRow) -> int:
        """How far (minor units) ``payment`` may be from ``invoice``'s balance and
        still pay it (the configured tolerance of that pair of systems)."""
        ...


MatchRule = Callable[[PaymentRow, OpenInvoices], Iterable[Suggestion]]
"""A match rule: given a payment and the open invoices, yield suggestions."""


class RuleContext(Protocol):
    """What a finding rule is handed: one reconcile run's records, and the work
    the rules share, computed once per run on first use."""

    @property
    def invoices(self) -> InvoiceRows:
        """Every live invoice of every system."""
        ...

    @property
    def payments(self) -> PaymentRows:
        """Every live payment of every system."""
        ...

    @property
    def customers(self) -> Sequence[CustomerRow]:
        """Every live customer of every system."""
        ...

    @property
    def bank_credits(self) -> Sequence[str]:
        """The text of every money-in bank line (description, reference, counterparty)."""
        ...

    @property
    def open_invoices(self) -> OpenInvoices:
        """The open invoices, as match rules see them."""
        ...

    def suggest(self, payment: PaymentRow) -> list[Suggestion]:
        """What the registered match rules suggest for ``payment``, best first."""
        ...


FindingRule = Callable[[RuleContext], Iterable[Finding]]
"""A finding rule: given the run's context, yield findings."""


@dataclass(frozen=True, slots=True)
class FindingRuleSpec:
    """A finding rule a plugin offers through ``hub_finding_rules``.

    ``kinds`` maps every kind the rule reports to its default severity; a kind
    is named like ``no_due_date`` (:data:`KIND_NAME`) and belongs to one
    rule only, so a plugin cannot take over a built-in kind. Rules run in the
    order they are registered (the built-in ones first), once per reconcile.
    """

    name: str
    """Unique among finding rules; shown by ``billing-hub plugins``."""
    kinds: Mapping[str, Severity]
    find: FindingRule
    description: str = ""
    """One line for ``billing-hub plugins``."""


@dataclass(frozen=True, slots=True)
class MatchRuleSpec:
    """A match rule a plugin offers through ``hub_match_rules``.

    Every unapplied payment is shown to each match rule in the order they are
    registered (the built-in ones first); the suggestions of all of them are
    ranked together by confidence.
    """

    name: str
    """Unique among match rules; shown by ``billing-hub plugins``."""
    rule: MatchRule
    decisive_at: float | None = None
    """When this rule suggests anything at least this confident, the payment is
    settled: the rules after it are not asked (the built-in ``memo_reference`` rule
    is decisive at 0.98, an invoice number in the memo with the exact amount)."""
    description: str = ""
    """One line for ``billing-hub plugins``."""
