"""Payouts and balance transactions.

Stripe pays the available balance out automatically; the simulator does it
when told (:func:`pay_out`, which the seeder calls on a schedule): each
currency's balance transactions that have become available go into one
payout, and ``GET /v1/balance_transactions?payout=po_...`` lists them (the
payout's own transaction too), so gross - fees - refunds = the deposit.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.stripe.simulator import listing, shapes
from plugins.stripe.simulator import records as r
from plugins.stripe.simulator.context import Ctx
from plugins.stripe.simulator.errors import no_such
from plugins.stripe.simulator.params import Params
from plugins.stripe.simulator.store import Collection

JSON = dict[str, Any]
DAY = 86400
ARRIVAL_DAYS = 2
BANK_ACCOUNT = "ba_1SimulatorBankAccount0001"


def pay_out(ctx: Ctx, currency: str | None = None,
            arrival_days: int = ARRIVAL_DAYS) -> list[r.Payout]:
    """Automatic payouts of what has become available, one per currency."""
    store = ctx.store
    made: list[r.Payout] = []
    with store.lock:
        now = ctx.now()
        for cur in sorted(store.unsettled) if currency is None else [currency]:
            waiting = [store.balance_transactions.get(x) for x in store.unsettled.get(cur, [])]
            ready = [x for x in waiting if x is not None and x.available_on <= now]
            later = [x.id for x in waiting if x is not None and x.available_on > now]
            amount = sum(x.net for x in ready)
            if not ready or amount <= 0:
                continue
            payout_id = ctx.new_id("po_")
            txn = store.add(store.balance_transactions, r.BalanceTransaction(
                id=ctx.new_id("txn_"), created=now, amount=-amount, fee=0, currency=cur,
                type="payout", reporting_category="payout", source=payout_id,
                available_on=now, status="available", description="STRIPE PAYOUT",
                payout=payout_id))
            for x in ready:
                store.balance_transactions.put(dataclasses.replace(
                    x, payout=payout_id, status="available"))
            store.settled_by[payout_id] = [x.id for x in ready] + [txn.id]
            store.unsettled[cur] = later
            payout = store.add(store.payouts, r.Payout(
                id=payout_id, created=now, amount=amount, currency=cur,
                arrival_date=now + arrival_days * DAY, balance_transaction=txn.id,
                destination=BANK_ACCOUNT))
            ctx.emit("payout.created", payout)
            made.append(payout)
    return made


def settle(ctx: Ctx) -> list[r.Payout]:
    """Payouts whose arrival date has come are paid (``payout.paid``)."""
    store = ctx.store
    paid: list[r.Payout] = []
    with store.lock:
        now = ctx.now()
        for payout in store.payouts.values():
            if payout.status == "in_transit" and payout.arrival_date <= now:
                done = store.payouts.put(dataclasses.replace(payout, status="paid"))
                ctx.emit("payout.paid", done)
                paid.append(done)
    return paid


def retrieve(ctx: Ctx, p: Params, payout_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        payout = ctx.store.payouts.get(payout_id)
    if payout is None:
        raise no_such("payout", payout_id)
    return shapes.payout(payout)


def list_(ctx: Ctx, p: Params) -> JSON:
    status = p.text("status", choices=("paid", "pending", "in_transit", "canceled", "failed"))
    low, high = listing.time_range(p, "arrival_date")
    p.skip("destination")

    def keep(x: r.Payout) -> bool:
        return ((status is None or x.status == status)
                and (low is None or x.arrival_date >= low)
                and (high is None or x.arrival_date <= high))

    return listing.page(ctx.store, p, ctx.store.payouts, "/v1/payouts", keep)


def retrieve_transaction(ctx: Ctx, p: Params, txn_id: str) -> JSON:
    p.done()
    with ctx.store.lock:
        txn = ctx.store.balance_transactions.get(txn_id)
    if txn is None:
        raise no_such("balance_transaction", txn_id)
    return shapes.balance_transaction(txn)


def list_transactions(ctx: Ctx, p: Params) -> JSON:
    payout = p.text("payout")
    kind = p.text("type")
    source = p.text("source")
    currency = p.text("currency")
    store = ctx.store
    collection: Collection[r.BalanceTransaction] = store.balance_transactions
    if payout is not None:
        with store.lock:
            if store.payouts.get(payout) is None:
                raise no_such("payout", payout, "payout", status=400)
        collection = store.subset(collection, store.settled_by.get(payout, []))

    def keep(x: r.BalanceTransaction) -> bool:
        return ((kind is None or x.type == kind) and (source is None or x.source == source)
                and (currency is None or x.currency == currency))

    return listing.page(store, p, collection, "/v1/balance_transactions", keep)
