"""Where each payment plan stands, and ``plan_instalment_missed`` findings.

Payments applied to a plan's invoices after it was agreed (what the store
shows as the fall of their open balances since then) cover its instalments
in date order. An instalment not covered ``grace_days`` after its date is
**missed**: a ``plan_instalment_missed`` finding, one per missed instalment
(its key names the plan and the instalment, so re-running the reconciler
never adds a second), resolved by the reconcile after the payment comes.
A plan is ``completed`` once its invoices are paid, ``broken`` once
``broken_after`` instalments are missed, ``late`` with fewer, else
``on_track``; a cancelled plan is ``cancelled`` and judged no more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hub.contract.rules import Finding
from hub.models import PaymentPlan, PlanState
from hub.money import from_minor_units, to_minor_units
from hub.reconcile.kinds import DEFAULT_SEVERITY, Kind
from hub.store import Connection
from hub.store import plans as store_plans
from hub.store.plans import InvoiceOpen, StoredPlan


def amount(value: Decimal, currency: str) -> str:
    """``USD 1,250.00``."""
    from hub.money import currency_exponent

    return f"{currency} {value:,.{currency_exponent(currency)}f}"


@dataclass(frozen=True, slots=True)
class InstalmentStanding:
    """One instalment on the day judged: how much of it payments cover."""

    number: int
    due_date: date
    amount: Decimal
    covered: Decimal
    missed: bool
    """Not covered in full ``grace_days`` after its date."""

    @property
    def settled(self) -> bool:
        return self.covered >= self.amount

    @property
    def short(self) -> Decimal:
        return self.amount - self.covered


@dataclass(frozen=True, slots=True)
class Standing:
    """A plan judged on ``today``."""

    id: int
    plan: PaymentPlan
    state: PlanState
    today: date
    paid: Decimal
    instalments: tuple[InstalmentStanding, ...]
    invoice_ids: tuple[int, ...]
    """The record ids of its invoices in the store."""

    @property
    def missed(self) -> list[InstalmentStanding]:
        return [i for i in self.instalments if i.missed]

    @property
    def next_due(self) -> InstalmentStanding | None:
        return next((i for i in self.instalments if not i.settled), None)

    def text(self) -> str:
        """``on track: USD 400.00 of USD 1,200.00 paid; next USD 400.00 by 2026-12-15``."""
        cur = self.plan.currency
        said = (f"{self.state.value.replace('_', ' ')}: {amount(self.paid, cur)} of "
                f"{amount(self.plan.opening_balance, cur)} paid")
        missed = self.missed
        if missed:
            said += "; missed " + ", ".join(f"#{i.number} ({amount(i.short, cur)} due "
                                            f"{i.due_date})" for i in missed)
        nxt = next((i for i in self.instalments if not i.settled and not i.missed), None)
        if nxt is not None and self.state is not PlanState.CANCELLED:
            said += f"; next {amount(nxt.short, cur)} by {nxt.due_date}"
        return said


def judge(stored: StoredPlan, balances: dict[str, InvoiceOpen], today: date) -> Standing:
    """Where ``stored`` stands on ``today``, from the invoices' open ``balances``."""
    plan = stored.plan
    cur = plan.currency
    opening = to_minor_units(plan.opening_balance, cur)
    open_now = sum(balances[r].open_minor for r in plan.invoice_refs if r in balances)
    left = paid = min(max(opening - open_now, 0), opening)
    rows: list[InstalmentStanding] = []
    for n, i in enumerate(plan.instalments, 1):
        due = to_minor_units(i.amount, cur)
        covered = min(left, due)
        left -= covered
        late = today > i.due_date + timedelta(days=plan.grace_days)
        rows.append(InstalmentStanding(n, i.due_date, i.amount, from_minor_units(covered, cur),
                                       covered < due and late))
    missed = sum(1 for r in rows if r.missed)
    if not stored.active:
        state = PlanState.CANCELLED
    elif paid >= opening:
        state = PlanState.COMPLETED
    elif missed >= plan.broken_after:
        state = PlanState.BROKEN
    elif missed:
        state = PlanState.LATE
    else:
        state = PlanState.ON_TRACK
    ids = tuple(balances[r].record_id for r in plan.invoice_refs if r in balances)
    return Standing(stored.id, plan, state, today, from_minor_units(paid, cur), tuple(rows),
                    ids)


def standings(conn: Connection, plans: Sequence[StoredPlan], today: date) -> list[Standing]:
    """Each of ``plans`` judged on ``today``."""
    names = [r for p in plans for r in p.plan.invoice_refs]
    balances = store_plans.open_balances(conn, names)
    return [judge(p, balances, today) for p in plans]


def found(conn: Connection, today: date) -> list[Finding]:
    """A ``plan_instalment_missed`` finding for each missed instalment of an active plan."""
    out: list[Finding] = []
    kind = Kind.PLAN_INSTALMENT_MISSED
    for s in standings(conn, store_plans.listed(conn, active_only=True), today):
        plan, cur = s.plan, s.plan.currency
        for i in s.missed:
            covers = ", ".join(plan.invoice_numbers or plan.invoice_refs)
            out.append(Finding(
                key=f"{kind.value}:{plan.source}:{plan.external_id}:{i.number}",
                kind=kind.value, record_ids=list(s.invoice_ids),
                severity=DEFAULT_SEVERITY[kind], currency=cur, money_at_stake=i.short,
                customer=plan.customer_ref,
                explanation=(f"Instalment {i.number} of payment plan {s.id} ({covers}), "
                             f"{amount(i.amount, cur)} due {i.due_date}, was not paid within "
                             f"{plan.grace_days} day(s): {amount(i.short, cur)} missing. "
                             f"The plan is {s.state.value.replace('_', ' ')}. Call the "
                             f"customer; `billing-hub plans show {s.id}`."),
                details={"plan": s.id, "instalment": i.number,
                         "due": i.due_date.isoformat(), "amount": str(i.amount),
                         "money_date": {"on": i.due_date.isoformat(), "what": "due",
                                        "open": True},
                         "actions": [f"billing-hub plans show {s.id}"]}))
    return out
