"""``billing-hub payouts``: each processor payout, what it is made of, and its bank deposit."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
import typer
from rich.table import Table

from hub.cli.console import out
from hub.cli.fit import print_fitted
from hub.cli.session import CliState, open_hub
from hub.models import PayoutTransaction
from hub.money import from_minor_units, to_minor_units
from hub.reconcile import payouts as payout_review
from hub.reconcile.payouts import PayoutMatch, PayoutReview, PayoutState
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.text import money


def payouts(
    ctx: typer.Context,
    since: datetime | None = typer.Option(None, "--since", formats=["%Y-%m-%d"],
                                          help="Only payouts arriving on or after this day."),
    unmatched: bool = typer.Option(False, "--unmatched",
                                   help="Only payouts without their bank deposit."),
    lines: bool = typer.Option(False, "--lines",
                               help="Also list what each payout settled: charges and refunds "
                                    "with their fees, in the payout's currency, and the "
                                    "charge's own currency and amount when it was converted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: each payout with its "
                                 "parts, its settled lines and its deposit."),
) -> None:
    """Payouts with their payments, fees and refunds, and the bank deposit each became.

    A deposit is found by the payout's id in the bank text, else by the exact
    amount within \\[reconcile.payouts] days_before / days_after business days of
    the arrival date. A payout whose window the bank lines of its currency do
    not cover yet is "not yet verifiable", not missing.
    """
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        settings = hub.settings(ReconcileSettings)
        review = payout_review.load(conn, payout_review.ArrivalWindow.of(settings.payouts))
    rows = [m for m in review.matches
            if (since is None or m.payout.arrival_date >= since.date())
            and (not unmatched or m.deposit is None)]
    if as_json:
        docs = [payout_json(m, _bank(m, review, _shown_in(m.payout.currency)))
                for m in reversed(rows)]
        sys.stdout.write(orjson.dumps(docs, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if not rows:
        out.print("No payouts to show." if not review.matches else
                  "Every payout shown has its bank deposit.")
        return
    table = Table(title="payouts and bank deposits", title_justify="left")
    for col in ("arrival", "payout", "status"):
        table.add_column(col, no_wrap=True)
    for col in ("amount", "payments", "fees", "refunds", "other"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("bank deposit", overflow="fold", ratio=1)
    for m in reversed(rows):  # newest first
        p, cur = m.payout, m.payout.currency

        def fmt(value: Decimal, cur: str = cur) -> str:
            return money(to_minor_units(value, cur), cur)

        parts = ((fmt(p.gross), fmt(p.fees), fmt(p.refunds), fmt(p.other)) if p.transactions
                 else ("-", "-", "-", "-"))
        table.add_row(f"{p.arrival_date:%Y-%m-%d}", m.name, p.status,
                      fmt(p.amount), *parts, _bank(m, review, fmt))
        if lines:
            for t in p.transactions:
                table.add_row("", f"  {t.kind} {t.source_ref or t.ref}", "", fmt(t.net),
                              fmt(t.gross) if t.gross > 0 else "", fmt(t.fee),
                              fmt(-t.gross) if t.gross < 0 else "", "", _presented(t))
    print_fitted(out, table, key=2)
    out.print("amount = payments - fees - refunds + other (disputes, adjustments)")
    if lines:
        out.print("a settled line's amount is its net: gross - fee, in the payout's currency")


def _shown_in(cur: str) -> Callable[[Decimal], str]:
    def fmt(value: Decimal) -> str:
        return money(to_minor_units(value, cur), cur)
    return fmt


def _amount(value: Decimal | None, cur: str | None = None) -> str | None:
    """``value`` as a decimal string, with ``cur``'s own exponent when given."""
    if value is None:
        return None
    return str(from_minor_units(to_minor_units(value, cur), cur)) if cur else str(value)


def payout_json(m: PayoutMatch, bank: str) -> dict[str, Any]:
    """One payout as ``payouts --json`` prints it, newest first; amounts are decimal strings
    in the payout's currency."""
    p, d, cur = m.payout, m.deposit, m.payout.currency
    return {
        "payout": m.name, "arrival_date": p.arrival_date.isoformat(), "status": p.status,
        "currency": cur, "amount": _amount(p.amount, cur),
        **({"payments": _amount(p.gross, cur), "fees": _amount(p.fees, cur),
            "refunds": _amount(p.refunds, cur), "other": _amount(p.other, cur)}
           if p.transactions else
           {"payments": None, "fees": None, "refunds": None, "other": None}),
        "deposit_state": m.state.value, "bank_deposit": bank,
        "deposit": None if d is None else {
            "booked": d.booked.isoformat(), "amount": _amount(d.amount, cur), "name": d.name,
            "found_by": m.how, "difference": _amount(m.difference, cur)},
        "lines": [{"kind": t.kind, "ref": t.ref, "source_ref": t.source_ref,
                   "net": _amount(t.net, cur), "gross": _amount(t.gross, cur),
                   "fee": _amount(t.fee, cur), "source_currency": t.source_currency,
                   "source_amount": _amount(t.source_amount, t.source_currency),
                   "exchange_rate": _amount(t.exchange_rate)} for t in p.transactions],
    }


def _bank(m: PayoutMatch, review: PayoutReview, fmt: Callable[[Decimal], str]) -> str:
    if m.deposit is not None:
        d = m.deposit
        text = f"{d.booked:%Y-%m-%d} {fmt(d.amount)} ({m.how}; {d.name})"
        if m.difference:
            text += f", {fmt(m.difference)} off the payout"
        return text
    if m.state is PayoutState.AMBIGUOUS:
        fits = ", ".join(f"{d.name} of {d.booked:%Y-%m-%d}" for d in m.candidates)
        if m.rivals:
            return f"ambiguous: {fits} fits {', '.join(m.rivals)} too; not matched"
        return f"ambiguous: {fits} all fit; not matched"
    if m.state is PayoutState.NOT_YET_VERIFIABLE:
        return f"not yet verifiable ({payout_review.not_verifiable_why(m, review)})"
    if m.state is PayoutState.NOT_EXPECTED:
        return ("none expected (a debit of the bank account)" if m.payout.amount <= 0
                else f"none expected ({m.payout.status})")
    first, last = m.window
    return f"missing: none found {first:%Y-%m-%d} to {last:%Y-%m-%d}"


def _presented(t: PayoutTransaction) -> str:
    """``charged JPY 16,000 at 0.00625``: what the customer paid, when it was converted."""
    if t.source_currency is None or t.source_amount is None:
        return "" if t.exchange_rate is None else f"at {t.exchange_rate}"
    paid = money(to_minor_units(abs(t.source_amount), t.source_currency), t.source_currency)
    rate = f" at {t.exchange_rate}" if t.exchange_rate is not None else ""
    return f"{'charged' if t.source_amount > 0 else 'refunded'} {paid}{rate}"
