"""Disputes of charges: ``GET /v1/disputes``, ``GET /v1/disputes/{id}``,
``POST /v1/disputes/{id}/close`` (accept: the dispute is lost), and the
means for a test to open one and bring it to an outcome (:func:`open_dispute`,
:func:`decide`), as the card network does for Stripe.

A chargeback (``needs_response``) withdraws the disputed amount and the
dispute fee from the balance at once (one balance transaction, type
``adjustment``, reporting category ``dispute``); a won one gives the amount
back (``dispute_reversal``; the fee stays withdrawn: Stripe does not return
the dispute-received fee). An inquiry (``warning_needs_response``) moves no
money. Every change emits its ``charge.dispute.*`` event.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.stripe.simulator import account, currencies, listing, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import StripeError, invalid, no_such
from plugins.stripe.simulator.params import Params

JSON = dict[str, Any]
DAY = 86400
EVIDENCE_DAYS = 21
"""Days the simulator gives to answer a dispute (Stripe's deadlines vary by network)."""
REASONS = (
    "bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
    "debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details",
    "insufficient_funds", "noncompliant", "product_not_received", "product_unacceptable",
    "subscription_canceled", "unrecognized",
)
OPEN = ("warning_needs_response", "needs_response", "warning_under_review", "under_review")
CLOSED = ("warning_closed", "won", "lost")


def dispute_fee(currency: str) -> int:
    """The dispute fee in the settlement currency: 15.00 (the simulator's choice: 2000
    in a zero-decimal currency, 15.000 in a three-decimal one)."""
    return {0: 2000, 2: 1500, 3: 15000}[currencies.exponent(currency)]


def _moved(ctx: Ctx, charge: r.Charge, dispute_id: str, amount: int, *,
           back: bool) -> r.BalanceTransaction:
    """The balance transaction of the disputed amount leaving (with the fee) or coming back."""
    store = ctx.store
    settled_in, units, rate = charge.currency, amount, None
    charged = store.balance_transactions.get(charge.balance_transaction)
    if charged is not None and charged.exchange_rate is not None:  # at the charge's rate
        settled_in, rate = charged.currency, charged.exchange_rate
        units = account.convert(amount, charge.currency, settled_in, rate)
    now = ctx.now()
    txn = store.add(store.balance_transactions, r.BalanceTransaction(
        id=ctx.new_id("txn_"), created=now, amount=units if back else -units,
        fee=0 if back else dispute_fee(settled_in), currency=settled_in, type="adjustment",
        reporting_category="dispute_reversal" if back else "dispute", source=dispute_id,
        available_on=now, status="available", exchange_rate=rate,
        description=(f"Chargeback reversal for {charge.id}" if back
                     else f"Chargeback withdrawal for {charge.id}")))
    store.unsettled.setdefault(txn.currency, []).append(txn.id)
    return txn


def open_dispute(ctx: Ctx, charge_id: str, *, amount: int | None = None,
                 reason: str = "general", inquiry: bool = False,
                 due_days: int = EVIDENCE_DAYS) -> r.Dispute:
    """The cardholder disputes ``charge_id`` (all of it unless ``amount``): a chargeback,
    or with ``inquiry`` a warning that moves no money yet."""
    if reason not in REASONS:
        raise ValueError(f"{reason!r} is not a dispute reason Stripe has")
    store = ctx.store
    with store.lock:
        charge = store.charges.get(charge_id)
        if charge is None:
            raise no_such("charge", charge_id)
        if charge.disputed:
            raise invalid(f"Charge {charge_id} has already been disputed.", "charge")
        amount = charge.amount - charge.amount_refunded if amount is None else amount
        if not 0 < amount <= charge.amount:
            raise ValueError(f"a dispute of {amount} does not fit the charge of {charge.amount}")
        now = ctx.now()
        dispute_id = ctx.new_id("dp_")
        moved = () if inquiry else (_moved(ctx, charge, dispute_id, amount, back=False),)
        dispute = store.add(store.disputes, r.Dispute(
            id=dispute_id, created=now, amount=amount, currency=charge.currency,
            charge=charge.id, payment_intent=charge.payment_intent, reason=reason,
            status="warning_needs_response" if inquiry else "needs_response",
            due_by=now + due_days * DAY, balance_transactions=moved))
        store.charges.put(dataclasses.replace(charge, disputed=True))
        ctx.emit("charge.dispute.created", dispute)
        if moved:
            ctx.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def decide(ctx: Ctx, dispute_id: str, outcome: str) -> r.Dispute:
    """Bring a dispute on: ``under_review`` (evidence sent), ``won`` or ``lost`` (an
    inquiry: ``won`` closes it as ``warning_closed``; ``lost`` becomes a chargeback)."""
    store = ctx.store
    with store.lock:
        current = store.disputes.get(dispute_id)
        if current is None:
            raise no_such("dispute", dispute_id)
        if current.status in CLOSED:
            raise invalid(f"Dispute {dispute_id} is already closed ({current.status}).")
        inquiry = current.status.startswith("warning_")
        if outcome == "under_review":
            status = "warning_under_review" if inquiry else "under_review"
            done = store.disputes.put(dataclasses.replace(
                current, status=status, has_evidence=True,
                submission_count=current.submission_count + 1))
            ctx.emit("charge.dispute.updated", done, current)
            return done
        if outcome not in ("won", "lost"):
            raise ValueError(f"outcome {outcome!r}: say under_review, won or lost")
        charge = store.charges.get(current.charge)
        assert charge is not None
        if inquiry and outcome == "lost":  # the inquiry escalates to a chargeback
            moved = _moved(ctx, charge, dispute_id, current.amount, back=False)
            done = store.disputes.put(dataclasses.replace(
                current, status="needs_response", balance_transactions=(moved,)))
            ctx.emit("charge.dispute.updated", done, current)
            ctx.emit("charge.dispute.funds_withdrawn", done)
            return done
        if inquiry:
            done = store.disputes.put(dataclasses.replace(current, status="warning_closed"))
            ctx.emit("charge.dispute.closed", done)
            return done
        moved_back = (_moved(ctx, charge, dispute_id, current.amount, back=True),) \
            if outcome == "won" else ()
        done = store.disputes.put(dataclasses.replace(
            current, status=outcome,
            balance_transactions=(*current.balance_transactions, *moved_back)))
        ctx.emit("charge.dispute.closed", done)
        if moved_back:
            ctx.emit("charge.dispute.funds_reinstated", done)
    return done


# ---------------------------------------------------------------- endpoints


def retrieve(ctx: Ctx, p: Params, dispute_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        dispute = ctx.store.disputes.get(dispute_id)
    if dispute is None:
        raise no_such("dispute", dispute_id)
    return shapes.dispute(dispute)


def list_(ctx: Ctx, p: Params) -> JSON:
    charge = p.text("charge")
    intent = p.text("payment_intent")
    return listing.page(ctx.store, p, ctx.store.disputes, "/v1/disputes",
                        lambda x: (charge is None or x.charge == charge)
                        and (intent is None or x.payment_intent == intent))


def close(ctx: Ctx, p: Params, dispute_id: str) -> JSON:
    """Accept the dispute: nothing will be answered, it is lost (an inquiry: closed)."""
    p.skip("expand")
    p.done()
    store = ctx.store
    with store.lock:
        current = store.disputes.get(dispute_id)
        if current is None:
            raise no_such("dispute", dispute_id)
        if current.status not in ("warning_needs_response", "needs_response"):
            raise StripeError(400, f"This dispute is already {current.status} and cannot be "
                              "closed.", code="invalid_dispute_state")
        status = "warning_closed" if current.status.startswith("warning_") else "lost"
        done = store.disputes.put(dataclasses.replace(current, status=status))
        ctx.emit("charge.dispute.closed", done)
    return shapes.dispute(done)
