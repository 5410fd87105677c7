"""``billing-hub reconcile``, ``findings ...``, ``link``, ``unlink``: the coordinator's desk."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import orjson
import typer
from rich.table import Table
from rich.text import Text

from hub.cli.as_of import AS_OF, knowledge
from hub.cli.console import out, when
from hub.cli.fit import print_fitted
from hub.cli.session import CliState, open_hub
from hub.cli.side_by_side import side_by_side
from hub.errors import HubError
from hub.invoicing.settings import sending_policy
from hub.money import from_minor_units
from hub.reconcile import lifecycle, linking
from hub.reconcile.naming import NAME_HELP
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.runner import nothing_to_match
from hub.reconcile.runner import reconcile as run_reconcile
from hub.reconcile.settings import ReconcileSettings
from hub.reconcile.text import money
from hub.reports import finding_trace
from hub.reports.ages import age
from hub.reports.report import finding_json, most_at_stake_first
from hub.store import audit
from hub.store.clock import utcnow

findings_app = typer.Typer(help="Review findings: list, show, acknowledge, resolve, ignore.",
                           no_args_is_help=True)


def reconcile(ctx: typer.Context) -> None:
    """Compare the systems in the store and update the findings."""
    state: CliState = ctx.obj
    with open_hub(state) as hub:
        summary = run_reconcile(hub.engine, hub.settings(ReconcileSettings),
                                RuleSet.of(hub.registry), sending_policy(hub.config))
    m = summary.merge
    out.print(f"Reconciled {summary.records:,} invoices and payments (run {summary.run_id}): "
              f"{summary.found} finding(s) hold: {m.new} new, {m.reopened} reopened, "
              f"{m.updated} changed, {m.unchanged} unchanged; {m.auto_resolved} resolved "
              "because the records agree again.")
    if summary.by_kind:
        table = Table(title_justify="left")
        table.add_column("kind")
        table.add_column("findings", justify="right")
        for kind, n in summary.by_kind.most_common():
            table.add_row(kind, str(n))
        out.print(table)
        out.print("`billing-hub findings list` shows them, most money at stake first.")
    warning = nothing_to_match(summary.invoices, summary.receipts)
    if warning:
        out.print(f"[yellow]Cash application:[/] {warning}")


def _stake(f: lifecycle.StoredFinding) -> str:
    if f.money_at_stake_minor is None or not f.currency:
        return "-"
    return money(f.money_at_stake_minor, f.currency)


def _amount(f: lifecycle.StoredFinding) -> Decimal:
    if f.money_at_stake_minor is None or not f.currency:
        return Decimal(0)
    return from_minor_units(f.money_at_stake_minor, f.currency)


def _only_known(option: str, given: list[str] | None, known: Sequence[str]) -> None:
    """A usage error (exit 2) naming the valid values when ``given`` holds an unknown one."""
    for value in given or ():
        if value not in known:
            raise typer.BadParameter(f"unknown value {value!r}; use one of: {', '.join(known)}",
                                     param_hint=f"'{option}'")


@findings_app.command("list")
def list_(
    ctx: typer.Context,
    kind: list[str] | None = typer.Option(None, "--kind", "-k", help="Only these kinds."),
    status: list[str] | None = typer.Option(
        None, "--status", "-s", help="open, acknowledged, resolved, ignored (default: the "
        "first two)."),
    customer: str | None = typer.Option(None, "--customer", help="Customer name contains."),
    older_than: int | None = typer.Option(
        None, "--older-than", help="N+ days old, counted from the money's date (an invoice's "
                                   "due date, a payment's received date)."),
    min_amount: Decimal | None = typer.Option(None, "--min-amount",
                                              help="Money at stake at least this."),
    limit: int = typer.Option(50, "--limit", "-n", min=1),
    as_of: datetime | None = AS_OF,
    as_json: bool = typer.Option(False, "--json", help="Print JSON: a list of findings with "
                                 "the fields of `report -f json`."),
) -> None:
    """Findings, the most money at stake first (per currency).

    --as-of DAY: the findings as they stood at the end of that day (their status then,
    ages counted to then).
    """
    state: CliState = ctx.obj
    _only_known("--status", status, lifecycle.STATUSES)
    with open_hub(state) as hub, hub.engine.connect() as conn:
        # the registered rules' kinds, a plugin's too
        _only_known("--kind", kind, sorted(RuleSet.of(hub.registry, whole=False).kind_names()))
        statuses = status or (lifecycle.OPEN, lifecycle.ACKNOWLEDGED)
        moment = knowledge(hub, as_of)
        if moment is None:
            rows = lifecycle.select(conn, statuses=statuses, kinds=kind or (), customer=customer)
        else:
            rows = lifecycle.select_as_of(conn, moment, statuses=statuses, kinds=kind or (),
                                          customer=customer)
    today = as_of.date() if as_of is not None else datetime.now().astimezone().date()
    if older_than is not None:
        rows = [f for f in rows if age(f, today).days >= older_than]
    if min_amount is not None:
        rows = [f for f in rows if _amount(f) >= min_amount]
    most_at_stake_first(rows)
    if as_json:
        _write_json([finding_json(f, today) for f in rows[:limit]])
        return
    if not rows:
        out.print("No findings match. Run `billing-hub reconcile` after a sync.")
        return
    table = Table(title=f"findings ({len(rows)})", title_justify="left")
    for col in ("id", "kind", "severity", "status", "customer", "at stake", "age"):
        table.add_column(col, justify="right" if col in ("id", "at stake", "age") else "left",
                         no_wrap=col in ("id", "at stake"))
    table.add_column("what", overflow="fold", ratio=1)
    for f in rows[:limit]:
        table.add_row(str(f.id), f.kind, f.severity, f.status, f.customer or "",
                      _stake(f), age(f, today).text, Text(f.explanation))
    print_fitted(out, table, key=2, wrap=("what",))
    if len(rows) > limit:
        out.print(f"... and {len(rows) - limit} more (--limit).")


def _write_json(doc: object) -> None:
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


@findings_app.command()
def show(ctx: typer.Context, finding_id: int = typer.Argument(..., metavar="ID"),
         as_of: datetime | None = AS_OF,
         as_json: bool = typer.Option(False, "--json", help="Print JSON: the finding's "
                                      "fields (as `report -f json`) and its history.")) -> None:
    """One finding: the explanation, the records side by side, suggestions, and its history
    (each change of its status or of what it says, with the time and who made it).

    With --as-of the finding is shown as it stood at the end of that day, with its history
    up to then; the records beside it are as they are now."""
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.connect() as conn:
        moment = knowledge(hub, as_of)
        f = lifecycle.get(conn, finding_id)
        if moment is not None:
            then = lifecycle.select_as_of(conn, moment, statuses=(), finding_id=finding_id)
            if not then:
                raise HubError(f"finding #{finding_id} was first found after {as_of:%Y-%m-%d}",
                               hint=f"it was first found {when(f.first_seen_at)}")
            f = then[0]
        table = side_by_side(conn, f.record_ids)
        changes = finding_trace.changes(conn, finding_id, until=moment)
        history = [e for e in audit.for_subject(conn, f"finding:{f.id}")
                   if moment is None or e.at <= moment]
    today = as_of.date() if as_of is not None else datetime.now().astimezone().date()
    if as_json:
        _write_json({**finding_json(f, today), "history": [
            {"at": c.at.isoformat(), "actor": c.actor, "change": c.change,
             "status": c.status, "changed": list(c.changed), "at_stake": c.at_stake,
             "explanation": c.explanation, "note": c.note} for c in changes]})
        return
    out.print(Text.assemble((f"#{f.id} {f.kind}", "bold"),
                            f"  severity {f.severity}, {f.status}, at stake {_stake(f)}"))
    out.print(Text(f.explanation))
    out.print(table)
    for i, s in enumerate(f.details.get("suggestions", []), 1):
        out.print(Text(f"  {i}. {', '.join(s['numbers'])}  {s['confidence']:.0%}  "
                       f"{s['reason']}"))
    out.print(Text(f"age: {age(f, today).text}"))
    out.print(f"first seen {when(f.first_seen_at)}, last changed {when(f.last_seen_at)}")
    if f.note:
        out.print(Text(f"note: {f.note} ({f.actor})"))
    out.print(_history_table(changes))
    for entry in reversed(history):
        out.print(Text(f"  {when(entry.at)} {entry.actor}: {entry.action} "
                       f"{entry.details.get('note') or ''}"))


def _history_table(changes: list[finding_trace.FindingChange]) -> Table:
    table = Table(title="history", title_justify="left")
    for col in ("when", "by", "change", "status", "changed", "at stake", "says"):
        table.add_column(col, overflow="fold")
    for c in changes:
        says = c.explanation + (f" (note: {c.note})" if c.note else "")
        table.add_row(when(c.at), Text(c.actor), c.change, c.status,
                      Text(", ".join(c.changed) or "-"), c.at_stake or "-", Text(says))
    return table


def _set(ctx: typer.Context, finding_id: int, status: str, note: str | None) -> None:
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        f = lifecycle.set_status(conn, finding_id, status, note=note,
                                 actor=audit.default_actor(), now=utcnow())
    out.print(f"#{f.id} is {f.status}.")


@findings_app.command()
def ack(ctx: typer.Context, finding_id: int = typer.Argument(..., metavar="ID"),
        note: str | None = typer.Option(None, "--note")) -> None:
    """Acknowledge: someone is on it."""
    _set(ctx, finding_id, lifecycle.ACKNOWLEDGED, note)


@findings_app.command()
def resolve(ctx: typer.Context, finding_id: int = typer.Argument(..., metavar="ID"),
            note: str | None = typer.Option(None, "--note")) -> None:
    """Resolve: fixed (it reopens if the next reconcile still finds it)."""
    _set(ctx, finding_id, lifecycle.RESOLVED, note)


@findings_app.command()
def ignore(ctx: typer.Context, finding_id: int = typer.Argument(..., metavar="ID"),
           note: str = typer.Option(..., "--note", help="Why it needs no action.")) -> None:
    """Ignore: not a problem; it stays ignored while the data says the same."""
    _set(ctx, finding_id, lifecycle.IGNORED, note)


def _link(ctx: typer.Context, left: str, right: str, state_: str) -> None:
    state: CliState = ctx.obj
    with open_hub(state) as hub, hub.engine.begin() as conn:
        a, b = linking.set_manual(conn, left, right, state_, actor=audit.default_actor(),
                                  now=utcnow())
    verb = "are linked" if state_ == linking.LINKED else "will never be linked"
    out.print(f"{a} and {b} {verb}. Run `billing-hub reconcile` to update the findings.")


def link(ctx: typer.Context,
         left: str = typer.Argument(..., help=NAME_HELP),
         right: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Say that two records are the same thing: customers, invoices or payments.

    Two invoices of two systems are compared as one sale. Two customers of two
    systems are one customer: invoices linked across them are not a customer
    mismatch, whatever the names. A bank line and a payment record, or two
    payments, are the same money: the bank line (of two payments, the one booked
    later) is not a receipt of its own.
    """
    _link(ctx, left, right, linking.LINKED)


def unlink(ctx: typer.Context,
           left: str = typer.Argument(..., help=NAME_HELP),
           right: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Say that two records are not the same thing, whatever their numbers say.

    Two invoices are never linked by number or reference. Two customers are two
    customers: invoices linked across them are a customer mismatch even when the
    names look alike. Two receipts are two payments: neither is the other booked
    again, nor the bank line of it.
    """
    _link(ctx, left, right, linking.REJECTED)


