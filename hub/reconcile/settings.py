"""The ``[reconcile]`` section of the config: pairs of systems, tolerances, windows.

::

    [reconcile]
    duplicate_window_days = 3          # same customer and amount within N days
    fuzzy_name_threshold = 85          # 0-100, rapidfuzz token-set ratio

    [[reconcile.pairs]]                # invoices that should exist in both systems
    left = "stripe"
    right = "books"
    since = 2026-01-01                 # ignore older invoices (optional)
    amount_tolerance = "0.00"          # absolute, in the invoice's currency
    number_prefixes = ["INV-", "#"]    # stripped before comparing numbers
    require_counterpart = "both"       # or "left": only left invoices must be on the right

    [reconcile.matching]               # suggestions for unapplied payments
    amount_tolerance_percent = "2"     # bank fees, FX: accept within 2 %
    amount_tolerance_fixed = "0.00"    # ... or within this absolute amount

    [reconcile.payouts]                # payouts against bank deposits by amount
    days_before = 2                    # business days before the arrival date
    days_after = 3                     # ... and after it

    [[reconcile.matching_pairs]]       # wider or narrower for one pair of systems
    payments = "bank"
    invoices = "books"
    amount_tolerance_percent = "0.5"
    amount_tolerance_fixed = "25.00"   # the bank's wire fee

    [reconcile.system_of_record]       # whose copy of a linked record every figure counts
    invoice = "books"                  # default: the ledger (the system with most invoices)
    payment = "books"
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.config import HubConfig, Section
from hub.errors import ConfigError


class PairSettings(BaseModel):
    """Two systems whose invoices should match one to one."""

    model_config = ConfigDict(extra="forbid")

    left: str
    right: str
    since: date | None = None
    amount_tolerance: Decimal = Field(default=Decimal(0), ge=0)
    number_prefixes: list[str] = Field(default_factory=list)
    require_counterpart: Literal["both", "left", "right", "none"] = "both"
    """Whose invoices must exist on the other side too: ``left`` flags a left invoice
    with no counterpart on the right but not the reverse (every Stripe invoice must be
    booked in QuickBooks, while most QuickBooks invoices never go through Stripe)."""


_FEE_CAPS = {"EUR": "40.00", "USD": "40.00", "GBP": "40.00", "CHF": "40.00", "CAD": "50.00",
             "AUD": "50.00", "JPY": "5000", "SEK": "300.00", "NOK": "300.00", "DKK": "250.00",
             "PLN": "150.00", "KWD": "10.000"}


class MatchSettings(BaseModel):
    """How far a payment may be from an invoice and still be suggested for it."""

    model_config = ConfigDict(extra="forbid")

    amount_tolerance_percent: Decimal = Field(default=Decimal("2"), ge=0, le=50)
    amount_tolerance_fixed: Decimal = Field(default=Decimal(0), ge=0)
    max_suggestions: int = Field(default=5, ge=1, le=50)
    subset_max_invoices: int = Field(default=24, ge=2, le=64)
    subset_max_size: int = Field(default=4, ge=2, le=8)
    confident: float = Field(default=0.6, gt=0, le=1)
    """A suggestion at least this sure is the matcher's decision: it is listed as the
    receipt's kind and its invoices' balances count as paid for later receipts."""
    duplicate_window_days: int = Field(default=10, ge=0, le=90)
    """Two receipts with the same amount, payer and memo this many days apart are one
    payment booked twice (a re-keyed payment may come a week later)."""
    bank_fee_max: dict[str, Decimal] = Field(default_factory=lambda: {
        code: Decimal(cap) for code, cap in _FEE_CAPS.items()})
    """Currency -> the largest intermediary bank charge a short payment is put down to."""
    bank_fee_share: Decimal = Field(default=Decimal(10), ge=0, le=50)
    """... and the largest share of the balance (percent) a bank charge may be."""
    discount_percents: list[Decimal] = Field(
        default_factory=lambda: [Decimal(2), Decimal(3), Decimal(1)])
    """Early-payment discounts (percent of the balance) a short payment may have taken."""
    discount_needs_memo: bool = True
    """Count a discount only when the memo states one (Skonto, escompte, 2 % ...)."""
    payer_prefixes: list[str] = Field(default_factory=list)
    """Words your bank prints before the payer's name, beyond the common ones."""
    not_customer: dict[str, list[str]] = Field(default_factory=dict)
    """Category -> regular expressions of bank lines that are not customers' payments."""


class MatchPairSettings(BaseModel):
    """Tolerances for payments of one system against invoices of another.

    A bank that deducts a wire fee, or a processor paying out in another
    currency, needs a wider tolerance than a ledger's own receipts.
    """

    model_config = ConfigDict(extra="forbid")

    payments: str
    invoices: str
    amount_tolerance_percent: Decimal = Field(ge=0, le=50)
    amount_tolerance_fixed: Decimal = Field(default=Decimal(0), ge=0)


class PayoutSettings(BaseModel):
    """How processor payouts are matched to bank deposits by amount (``[reconcile.payouts]``)."""

    model_config = ConfigDict(extra="forbid")

    days_before: int = Field(default=2, ge=0, le=10)
    """A bank may book a payout's deposit this many business days before its arrival date."""
    days_after: int = Field(default=3, ge=0, le=10)
    """... or this many business days after it (bank holidays, slow banks)."""


class SystemOfRecord(BaseModel):
    """Per entity, the system whose copy of a real-world record every figure counts.

    An invoice (or payment) held in several systems and linked across them is
    counted once, with the amounts of its copy in this system; the copies
    elsewhere are set aside, and one that disagrees is a finding. Unset, it is
    the ledger: the system that holds the most invoices (then payments; ties: by name).
    A real thing with no copy in the system of record counts the copy of the
    system that comes next in that order.
    """

    model_config = ConfigDict(extra="forbid")

    invoice: str | None = Field(default=None, min_length=1)
    payment: str | None = Field(default=None, min_length=1)


class ReconcileSettings(Section):
    """Everything the reconciler can be told."""

    table = "reconcile"

    pairs: list[PairSettings] = Field(default_factory=list)
    matching_pairs: list[MatchPairSettings] = Field(default_factory=list)
    duplicate_window_days: int = Field(default=3, ge=0, le=60)
    fuzzy_name_threshold: int = Field(default=85, ge=50, le=100)
    number_prefixes: list[str] = Field(default_factory=lambda: ["INV-", "INV", "#", "NO."])
    matching: MatchSettings = Field(default_factory=MatchSettings)
    payouts: PayoutSettings = Field(default_factory=PayoutSettings)
    system_of_record: SystemOfRecord = Field(default_factory=SystemOfRecord)
    aging_by: Literal["plan", "due_date"] = "plan"
    """How aging (and the overdue share and CEI) count the open balance of an invoice
    under a payment plan: by the plan's instalment dates, or by the invoice's due date."""

    def check(self, config: HubConfig) -> None:
        """A system of record is a connector of the file."""
        for entity in ("invoice", "payment"):
            name = getattr(self.system_of_record, entity)
            if name is not None and name not in config.connectors:
                known = ", ".join(sorted(config.connectors)) or "none configured"
                raise ConfigError(f"no connector named {name!r} in the config (known: {known})",
                                  path=f"reconcile.system_of_record.{entity}",
                                  hint="name the connector whose copy of a record counts")

    timezone: str | None = None
    """The company's time zone (IANA name): where an ``--as-of`` day ends. Default UTC."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}; give an IANA name such as "
                                 "Europe/Berlin") from None
        return value
