"""The canonical payout: a processor's transfer to the bank, and what it settles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import ConfigDict, Field, model_validator

from hub.models.base import CanonicalRecord, ExactParts, check_precision
from hub.models.limits import NUMBER_LENGTH, STATUS_LENGTH, Limits
from hub.money import CurrencyCode


class PayoutTransaction(ExactParts):
    """One movement a payout settles, as the processor's balance shows it.

    ``kind`` is the processor's type (``charge``, ``refund``, ``adjustment``,
    ``stripe_fee`` ...), ``source_ref`` the external id of the object behind it
    (the charge ``ch_...``, the refund ``re_...``). ``gross`` minus ``fee``
    is ``net``; a refund's gross is negative. All three are in the payout's
    currency, the currency the processor settled in.

    When the object behind it was in another currency (a JPY charge settled
    in USD), ``source_currency`` and ``source_amount`` are that currency and
    amount as the customer paid it, and ``exchange_rate`` the processor's
    rate (units of the payout's currency per unit of ``source_currency``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    ref: str
    kind: str
    source_ref: str | None = None
    gross: Decimal
    fee: Decimal = Decimal(0)
    net: Decimal
    description: str | None = None
    source_currency: CurrencyCode | None = None
    source_amount: Decimal | None = None
    exchange_rate: Decimal | None = None

    @model_validator(mode="after")
    def _net_is_gross_minus_fee(self) -> PayoutTransaction:
        if self.gross - self.fee != self.net:
            raise ValueError(
                f"transaction {self.ref}: gross {self.gross} - fee {self.fee} is "
                f"{self.gross - self.fee}, but net is {self.net}"
            )
        if (self.source_currency is None) != (self.source_amount is None):
            raise ValueError(f"transaction {self.ref}: source_currency and source_amount "
                             "go together")
        if self.source_currency is not None:
            check_precision("payout", f"transaction {self.ref}: source_amount",
                            self.source_amount, self.source_currency)
        if self.exchange_rate is not None and not (
                self.exchange_rate.is_finite() and self.exchange_rate > 0):
            raise ValueError(f"transaction {self.ref}: exchange_rate must be positive, "
                             f"got {self.exchange_rate}")
        return self


class Payout(CanonicalRecord):
    """Money a processor (Stripe) sent to, or took from, the bank account.

    ``amount`` is what arrives at the bank (negative when the processor
    debits the account). ``transactions`` are the balance movements it
    settles, when the processor can tell (automatic payouts); their nets add
    up to ``amount``, so a deposit is explained as :attr:`gross` minus
    :attr:`fees` minus :attr:`refunds`, plus :attr:`other` (disputes,
    adjustments), which is zero in the common case. ``status``: ``paid``,
    ``pending``, ``in_transit``, ``canceled`` or ``failed``.
    """

    entity: ClassVar[str] = "payout"
    store_limits: ClassVar[Limits] = (
        *CanonicalRecord.store_limits,
        ("statement_descriptor", NUMBER_LENGTH),
        ("status", STATUS_LENGTH),
    )

    amount: Decimal
    currency: CurrencyCode
    arrival_date: date
    created_date: date | None = None
    status: str
    automatic: bool = True
    destination: str | None = None
    statement_descriptor: str | None = None
    transactions: list[PayoutTransaction] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _settles_its_amount(self) -> Payout:
        cur = self.currency
        check_precision("payout", "amount", self.amount, cur)
        for i, txn in enumerate(self.transactions):
            for name in ("gross", "fee", "net"):
                check_precision("payout", f"transactions[{i}].{name}", getattr(txn, name), cur)
        if self.transactions:
            settled = sum((t.net for t in self.transactions), Decimal(0))
            if settled != self.amount:
                raise ValueError(
                    f"the transactions settle {settled} {cur} but the payout is "
                    f"{self.amount} {cur}"
                )
        return self

    def _sum(self, field: str, kinds: tuple[str, ...] | None = None) -> Decimal:
        return sum((getattr(t, field) for t in self.transactions
                    if kinds is None or t.kind in kinds), Decimal(0))

    @property
    def gross(self) -> Decimal:
        """Payments in: the gross of the charges (and payments) it settles."""
        return self._sum("gross", ("charge", "payment"))

    @property
    def fees(self) -> Decimal:
        """What the processor kept: every settled transaction's fee, plus its own fee lines."""
        own = -self._sum("net", ("stripe_fee", "application_fee", "tax_fee"))
        return self._sum("fee") + own

    @property
    def refunds(self) -> Decimal:
        """Money given back to customers: the refunds it settles, as a positive amount."""
        return -self._sum("gross", _REFUND_KINDS)

    @property
    def other(self) -> Decimal:
        """What gross, fees and refunds leave unexplained: disputes, adjustments, reserves."""
        return self.amount - (self.gross - self.fees - self.refunds)


_REFUND_KINDS = ("refund", "payment_refund", "payment_failure_refund")
