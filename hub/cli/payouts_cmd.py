"""``billing-hub payouts``: each processor payout, what it is made of, and its bank deposit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import typer
from rich.table import Table

from hub.cli.console import out
from hub.cli.session import CliState, open_hub
from hub.contract.names import record_name
from hub.money import to_minor_units
from hub.reconcile import payouts as payout_review
from hub.reconcile.text import money


def payouts(
    ctx: typer.Context,
    since: datetime | None = typer.Option(None, "--since", formats=["%Y-%m-%d"],
                                          help="Only payouts arriving on or after this day."),
    unmatched: bool = typer.Option(False, "--unmatched",
                                   help="Only payouts without their bank deposit."),
) -> None:
    """Payouts with their payments, fees and refunds, and the bank deposit each became."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        review = payout_review.load(conn)
    rows = [m for m in review.matches
            if (since is None or m.payout.arrival_date >= since.date())
            and (not unmatched or m.deposit is None)]
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

        if m.deposit is None:
            bank = "none found"
        else:
            d = m.deposit
            line = record_name(d.source, "bank_transaction", d.external_id)
            bank = f"{d.booked:%Y-%m-%d} {fmt(d.amount)} ({m.how}; {line})"
            if m.difference:
                bank += f", {fmt(m.difference)} off the payout"
        parts = ((fmt(p.gross), fmt(p.fees), fmt(p.refunds), fmt(p.other)) if p.transactions
                 else ("-", "-", "-", "-"))
        table.add_row(f"{p.arrival_date:%Y-%m-%d}", record_name(p.source, "payout", p.external_id),
                      p.status,
                      fmt(p.amount), *parts, bank)
    out.print(table)
    out.print("amount = payments - fees - refunds + other (disputes, adjustments)")
