"""``billing-hub plans add|list|show|cancel`` and ``billing-hub promise add``: payment plans
and promises to pay a coordinator agreed with a customer."""

from __future__ import annotations

import hashlib
import re
from calendar import monthrange
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import typer
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from hub.cli.console import out
from hub.cli.session import CliState, open_hub
from hub.collect.run import collection_settings
from hub.errors import HubError
from hub.models import Instalment, PaymentPlan, PlanState, Promise
from hub.money import from_minor_units, to_minor_units
from hub.reconcile.naming import NAME_HELP, resolve
from hub.reconcile.plans import Standing, amount, standings
from hub.runtime import Hub
from hub.store import Connection, audit
from hub.store import contact as store_contact
from hub.store import plans as store_plans
from hub.store.clock import utcnow

app = typer.Typer(help="Payment plans: instalments a customer agreed to pay invoices in.",
                  no_args_is_help=True)
promise_app = typer.Typer(help="Promises to pay by a date, recorded by a coordinator.",
                          no_args_is_help=True)

HUB_SOURCE = "hub"
"""The source of the plans and promises a coordinator records."""
TODAY = typer.Option(None, "--today", formats=["%Y-%m-%d"],
                     help="Judge the plans as of this day (default: today).")


def _day(value: datetime | None) -> date:
    return value.date() if value else datetime.now().astimezone().date()


def _invoices(conn: Connection, names: list[str]) -> list[store_plans.InvoiceOpen]:
    """The open invoices ``names`` mean: invoices, or every open invoice of a customer."""
    refs: list[str] = []
    for text in names:
        found = resolve(conn, text)
        if found.entity == "customer":
            ext = found.name.split(":", 2)[2]
            mine = store_plans.invoices_of_customer(conn, found.source, ext)
            if not mine:
                raise HubError(f"{found.name} has no open invoice")
            refs.extend(mine)
        elif found.entity == "invoice":
            refs.append(found.name)
        else:
            raise HubError(f"{found.name} is a {found.entity}, not an invoice or a customer",
                           hint="name invoices as SOURCE:invoice:ID, or a customer")
    balances = store_plans.open_balances(conn, refs)
    chosen = [balances[r] for r in dict.fromkeys(refs)]
    for inv in chosen:
        if inv.open_minor <= 0:
            raise HubError(f"{inv.name} ({inv.number}) has nothing open ({inv.status})")
    if len({i.currency for i in chosen}) != 1:
        raise HubError("the invoices are in different currencies: "
                       + ", ".join(f"{i.number} {i.currency}" for i in chosen),
                       hint="agree one plan per currency")
    return chosen


def _customer(chosen: list[store_plans.InvoiceOpen]) -> str | None:
    refs = {i.customer_ref for i in chosen}
    if len(refs) > 1:
        raise HubError("the invoices belong to different customers: "
                       + ", ".join(f"{i.number} {i.customer_ref}" for i in chosen),
                       hint="agree one plan per customer")
    ref = next(iter(refs))
    return None if ref is None else f"{chosen[0].name.split(':', 1)[0]}:customer:{ref}"


_EVERY = re.compile(r"^\s*(\d+)\s*([dwm])\s*$")


def _step(start: date, every: str, n: int) -> date:
    match = _EVERY.match(every)
    if match is None or int(match[1]) < 1:
        raise typer.BadParameter("say 30d (days), 2w (weeks) or 1m (months)",
                                 param_hint="--every")
    count, unit = int(match[1]) * n, match[2]
    if unit == "d":
        return start + timedelta(days=count)
    if unit == "w":
        return start + timedelta(weeks=count)
    months = start.month - 1 + count
    year, month = start.year + months // 12, months % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def split(total_minor: int, currency: str, count: int, first: date,
          every: str) -> list[Instalment]:
    """``count`` instalments of the open balance, equal in the currency's precision, the
    remainder on the last."""
    each = total_minor // count
    if each <= 0:
        raise HubError(f"{from_minor_units(total_minor, currency)} {currency} cannot be "
                       f"split into {count} instalments", hint="ask for fewer --instalments")
    amounts = [each] * (count - 1) + [total_minor - each * (count - 1)]
    return [Instalment(due_date=_step(first, every, n), amount=from_minor_units(a, currency))
            for n, a in enumerate(amounts)]


def _explicit(given: list[str], currency: str) -> list[Instalment]:
    out_: list[Instalment] = []
    for text in given:
        day, sep, value = text.partition("=")
        try:
            when = date.fromisoformat(day.strip())
            money = Decimal(value.strip())
        except (ValueError, InvalidOperation):
            raise typer.BadParameter(f"{text!r}: say DATE=AMOUNT (2026-12-15=400.00)",
                                     param_hint="--instalment") from None
        if not sep:
            raise typer.BadParameter(f"{text!r}: say DATE=AMOUNT (2026-12-15=400.00)",
                                     param_hint="--instalment")
        out_.append(Instalment(due_date=when, amount=money))
    return sorted(out_, key=lambda i: i.due_date)


def _terms(hub: Hub) -> tuple[int, int]:
    if not hub.config.has_table("collections"):
        return 3, 2
    settings = collection_settings(hub)
    return settings.plan_grace_days, settings.plan_broken_after


@app.command()
def add(
    ctx: typer.Context,
    names: list[str] = typer.Argument(..., metavar="CUSTOMER-OR-INVOICE...",
                                      help=f"Invoices, or a customer (every open invoice of "
                                           f"it): {NAME_HELP}"),
    instalments: int | None = typer.Option(None, "--instalments", min=1, max=120,
                                           help="Split the open balance into this many."),
    every: str = typer.Option("30d", "--every", help="Between split instalments: 30d, 2w, "
                                                     "1m."),
    first: datetime | None = typer.Option(None, "--first", formats=["%Y-%m-%d"],
                                          help="The first split instalment's date."),
    instalment: list[str] = typer.Option([], "--instalment", metavar="DATE=AMOUNT",
                                         help="One instalment (repeat); they must total the "
                                              "open balance exactly."),
    note: str = typer.Option("", "--note", help="What was agreed (kept with the plan)."),
) -> None:
    """Agree a payment plan for invoices: split their open balance (--instalments with
    --first and --every; the remainder on the last) or give each instalment."""
    if bool(instalment) == (instalments is not None):
        raise typer.BadParameter("say --instalments N --first DATE, or --instalment "
                                 "DATE=AMOUNT (repeated)", param_hint="--instalments")
    if instalments is not None and first is None:
        raise typer.BadParameter("--instalments needs --first DATE", param_hint="--first")
    state: CliState = ctx.obj
    actor = audit.default_actor()
    now = utcnow()
    with open_hub(state) as hub, hub.engine.begin() as conn:
        grace, broken_after = _terms(hub)
        chosen = _invoices(conn, names)
        taken = store_plans.covering(conn, [i.name for i in chosen])
        if taken:
            both = sorted({i.name for i in chosen} & set(taken[0].plan.invoice_refs))
            raise HubError(f"{', '.join(both)} already in payment plan {taken[0].id}",
                           hint=f"cancel it first: `billing-hub plans cancel {taken[0].id}`")
        currency = chosen[0].currency or ""
        total = sum(i.open_minor for i in chosen)
        opening = from_minor_units(total, currency)
        if instalments is not None and first is not None:
            parts = split(total, currency, instalments, first.date(), every)
        else:
            parts = _explicit(instalment, currency)
            given = sum((p.amount for p in parts), Decimal(0))
            if given != opening:
                raise HubError(f"the instalments total {amount(given, currency)}, not the open "
                               f"balance {amount(opening, currency)}",
                               hint="make them add up to the open balance exactly")
        digest = hashlib.blake2b(digest_size=6)
        digest.update("|".join(i.name for i in chosen).encode())
        try:
            plan = PaymentPlan(
                source=HUB_SOURCE, external_id=f"plan-{now:%Y%m%dT%H%M%S%f}-{digest.hexdigest()}",
                customer_ref=_customer(chosen), invoice_refs=[i.name for i in chosen],
                invoice_numbers=[i.number or i.name for i in chosen], currency=currency,
                opening_balance=opening, instalments=parts, grace_days=grace,
                broken_after=broken_after, agreed_at=now, agreed_by=actor, note=note)
        except ValidationError as exc:
            raise HubError("the plan is refused: " + "; ".join(
                str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())) from None
        pid = store_plans.add(conn, plan)
        said = (f"payment plan {pid} agreed by {actor}: {amount(opening, currency)} for "
                f"{', '.join(plan.invoice_numbers)} in {len(parts)} instalment(s), "
                + ", ".join(f"{amount(p.amount, currency)} by {p.due_date}" for p in parts))
        store_contact.add_event(conn, customer=plan.customer_ref, at=now, kind="plan",
                                actor=actor, summary=said, ref=f"plan:{pid}:agreed",
                                details={"plan": pid})
        audit.record(conn, "plan.agreed", subject=f"plan:{pid}", actor=actor, at=now,
                     details={"invoices": plan.invoice_refs, "opening_balance": str(opening),
                              "currency": currency,
                              "instalments": [[str(p.due_date), str(p.amount)] for p in parts]})
    out.print(Text(said[0].upper() + said[1:] + "."))


def _state_style(state: PlanState) -> str:
    return {PlanState.ON_TRACK: "green", PlanState.COMPLETED: "green", PlanState.LATE: "yellow",
            PlanState.BROKEN: "red"}.get(state, "dim")


@app.command("list")
def list_(ctx: typer.Context, today: datetime | None = TODAY,
          all_: bool = typer.Option(False, "--all", help="Cancelled plans too.")) -> None:
    """Every payment plan with its state: on track, late, broken, completed."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        found = standings(conn, store_plans.listed(conn, active_only=not all_), _day(today))
    if not found:
        out.print("No payment plans.")
        return
    table = Table(title="payment plans", title_justify="left")
    for col in ("id", "customer", "invoices", "total", "state", "standing"):
        table.add_column(col, overflow="fold")
    for s in found:
        table.add_row(str(s.id), s.plan.customer_ref or "", ", ".join(s.plan.invoice_numbers),
                      amount(s.plan.opening_balance, s.plan.currency),
                      Text(s.state.value, style=_state_style(s.state)), s.text())
    out.print(table)


def _one(conn: Connection, plan_id: int, today: date) -> Standing:
    stored = store_plans.get(conn, plan_id)
    if stored is None:
        raise HubError(f"no payment plan {plan_id}", hint="`billing-hub plans list --all`")
    return standings(conn, [stored], today)[0]


@app.command()
def show(ctx: typer.Context, plan_id: int = typer.Argument(..., metavar="ID"),
         today: datetime | None = TODAY) -> None:
    """One payment plan: its invoices, each instalment and what covers it."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        s = _one(conn, plan_id, _day(today))
        stored = store_plans.get(conn, plan_id)
    p, cur = s.plan, s.plan.currency
    out.print(Text(f"payment plan {s.id}: {s.state.value}", style="bold"))
    covers = ", ".join(f"{n} ({r})" for n, r in zip(p.invoice_numbers, p.invoice_refs,
                                                    strict=False))
    out.print(Text(f"customer {p.customer_ref or '-'}; invoices {covers}"))
    out.print(Text(f"agreed {p.agreed_at.date()} by {p.agreed_by}: "
                   f"{amount(p.opening_balance, cur)}; missed after {p.grace_days} day(s), "
                   f"broken after {p.broken_after} missed" + (f"; {p.note}" if p.note else "")))
    if stored is not None and stored.cancelled_at is not None:
        out.print(Text(f"cancelled {stored.cancelled_at.date()} by {stored.cancelled_by}"))
    table = Table(title_justify="left")
    for col in ("#", "date", "amount", "covered", "status"):
        table.add_column(col)
    for i in s.instalments:
        status = ("paid" if i.settled else "missed" if i.missed else
                  "due" if i.due_date <= s.today else "to come")
        table.add_row(str(i.number), str(i.due_date), amount(i.amount, cur),
                      amount(i.covered, cur), status)
    out.print(table)
    out.print(Text(s.text()))


@app.command()
def cancel(ctx: typer.Context, plan_id: int = typer.Argument(..., metavar="ID"),
           reason: str = typer.Option("", "--reason", help="Why (kept in the history).")
           ) -> None:
    """Cancel a payment plan (audited, with who): reminders follow the invoices' dates
    again."""
    state: CliState = ctx.obj
    actor = audit.default_actor()
    now = utcnow()
    with open_hub(state) as hub, hub.engine.begin() as conn:
        stored = store_plans.get(conn, plan_id)
        if stored is None or not store_plans.cancel(conn, plan_id, at=now, actor=actor):
            raise HubError(f"no active payment plan {plan_id}",
                           hint="`billing-hub plans list` shows the active ones")
        why = f": {reason}" if reason else ""
        store_contact.add_event(conn, customer=stored.plan.customer_ref, at=now, kind="plan",
                                actor=actor, summary=f"payment plan {plan_id} cancelled by "
                                                     f"{actor}{why}",
                                ref=f"plan:{plan_id}:cancelled", details={"plan": plan_id})
        audit.record(conn, "plan.cancelled", subject=f"plan:{plan_id}", actor=actor, at=now,
                     details={"reason": reason})
    out.print(f"Payment plan {plan_id} cancelled by {actor}.")


@promise_app.command("add")
def promise_add(
    ctx: typer.Context,
    names: list[str] = typer.Argument(..., metavar="INVOICE...", help=NAME_HELP),
    by: datetime = typer.Option(..., "--by", formats=["%Y-%m-%d"],
                                help="The day the customer promised to pay by."),
    amount_: str | None = typer.Option(None, "--amount", help="What was promised (default: "
                                                               "the open balance)."),
    note: str = typer.Option("", "--note", help="What was said (kept with the promise)."),
) -> None:
    """Record a customer's promise to pay invoices by a date: reminders about them wait
    until the date plus the grace days (\\[collections.replies] promise_grace_days)."""
    state: CliState = ctx.obj
    actor = audit.default_actor()
    now = utcnow()
    with open_hub(state) as hub, hub.engine.begin() as conn:
        chosen = _invoices(conn, names)
        currency = chosen[0].currency or ""
        try:
            promised = (Decimal(amount_) if amount_ is not None
                        else from_minor_units(sum(i.open_minor for i in chosen), currency))
            to_minor_units(promised, currency)
            promise = Promise(
                source=HUB_SOURCE, external_id=f"promise-{now:%Y%m%dT%H%M%S%f}",
                customer_ref=_customer(chosen),
                invoice_numbers=[i.number or i.name for i in chosen],
                invoice_refs=[i.name for i in chosen], promised_date=by.date(),
                amount=promised, currency=currency, made_at=now,
                note=note or f"recorded by {actor}")
        except (ValidationError, InvalidOperation, ValueError) as exc:
            raise HubError(f"the promise is refused: {exc}".splitlines()[0]) from None
        store_contact.add_promise(conn, promise)
        said = (f"{actor} recorded a promise to pay {amount(promised, currency)} for "
                f"{', '.join(promise.invoice_numbers)} by {promise.promised_date}")
        store_contact.add_event(conn, customer=promise.customer_ref, at=now, kind="promise",
                                actor=actor, summary=said,
                                ref=f"promise:{promise.source}:{promise.external_id}",
                                details={"invoices": promise.invoice_numbers,
                                         "date": promise.promised_date})
        audit.record(conn, "promise.recorded", subject=f"promise:{promise.external_id}",
                     actor=actor, at=now, details={"invoices": promise.invoice_refs,
                                                   "by": str(promise.promised_date),
                                                   "amount": str(promised)})
    out.print(Text(said[0].upper() + said[1:] + "."))
