"""Findings about invoices: missing or different in another system, duplicated,
or marked paid with nothing behind it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from rapidfuzz import fuzz

from hub.contract.rows import InvoiceRow
from hub.money import currency_exponent, from_minor_units
from hub.reconcile.kinds import Finding, Kind
from hub.reconcile.linking import CustomerKey, Link, Links, invoice_customer
from hub.reconcile.pairs import close_pairs
from hub.reconcile.settings import PairSettings
from hub.reconcile.tables import InvoiceTable
from hub.reconcile.text import money, name_key, number_key

_STATE = {"paid": "paid", "open": "open", "partially_paid": "open", "void": "void",
          "draft": "draft", "uncollectible": "uncollectible"}


def day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "no date"


def _label(inv: InvoiceRow) -> str:
    return inv.number or inv.external_id


def _state(inv: InvoiceRow) -> str:
    return _STATE.get(inv.status, inv.status)


def _said(inv: InvoiceRow) -> str:
    """What a system says about an invoice, in words."""
    state = _state(inv)
    if state == "paid":
        return "is paid in full"
    if state == "void":
        return "is void"
    if state == "draft":
        return "is still a draft"
    if state == "uncollectible":
        return "is written off as uncollectible"
    if inv.paid > 0:
        return f"is partly paid, with {money(inv.balance, inv.currency)} still due"
    return f"is open for {money(inv.balance, inv.currency)}"


def _pair_key(kind: Kind, a: InvoiceRow, b: InvoiceRow) -> str:
    return f"{kind.value}:{a.source}:{a.external_id}|{b.source}:{b.external_id}"


def _customers_said(a: InvoiceRow, b: InvoiceRow,
                    customers: Mapping[frozenset[CustomerKey], bool]) -> bool | None:
    """Whether a person linked (True) or unlinked (False) the two invoices' customers."""
    if not customers:
        return None
    return customers.get(frozenset((invoice_customer(a.source, a.customer_ref, a.customer),
                                    invoice_customer(b.source, b.customer_ref, b.customer))))


def mismatches(link_list: Iterable[Link], pair: PairSettings, fuzzy: int,
               customers: Mapping[frozenset[CustomerKey], bool] | None = None
               ) -> Iterator[Finding]:
    """Linked invoices that disagree on currency, amount, status, due date or customer.

    ``customers`` holds what a person said of two customers (:func:`customer_word`):
    invoices billed to customers linked by hand agree on the customer whatever the
    names; to customers unlinked by hand, they disagree however alike the names.
    """
    customers = customers or {}
    for link in link_list:
        a, b = link.left, link.right
        ids = [a.id, b.id]
        cust = a.customer or b.customer
        same = number_key(a.number, pair.number_prefixes) == number_key(b.number,
                                                                         pair.number_prefixes)
        label = _label(a) if same else f"{_label(a)} ({_label(b)} in {b.source})"
        both = {"left": a.record_name, "right": b.record_name, "linked_by": link.method}
        if a.currency != b.currency:
            yield Finding(
                _pair_key(Kind.CURRENCY_MISMATCH, a, b), Kind.CURRENCY_MISMATCH, ids,
                f"{a.source} bills {label} in {a.currency} "
                f"({money(a.total, a.currency)}); {b.source} has it in {b.currency} "
                f"({money(b.total, b.currency)}). One of them was entered in the wrong "
                "currency.", a.currency, from_minor_units(a.total, a.currency), cust,
                details=both)
            continue
        cur = a.currency
        tolerance = int(pair.amount_tolerance.scaleb(currency_exponent(cur)))
        if abs(a.total - b.total) > tolerance:
            diff = abs(a.total - b.total)
            yield Finding(
                _pair_key(Kind.AMOUNT_MISMATCH, a, b), Kind.AMOUNT_MISMATCH, ids,
                f"{label} is for {money(a.total, cur)} in {a.source} but "
                f"{money(b.total, cur)} in {b.source}: {money(diff, cur)} apart.",
                cur, from_minor_units(diff, cur), cust, details=both)
        sa, sb = _state(a), _state(b)
        if sa != sb or (sa == "open" and abs(a.paid - b.paid) > tolerance):
            stake = abs(a.balance - b.balance) or max(a.balance, b.balance)
            yield Finding(
                _pair_key(Kind.STATUS_MISMATCH, a, b), Kind.STATUS_MISMATCH, ids,
                f"{a.source} says {label} {_said(a)}; {b.source} says it {_said(b)}.",
                cur, from_minor_units(stake, cur), cust, details=both)
        if a.due_date and b.due_date and a.due_date != b.due_date:
            yield Finding(
                _pair_key(Kind.DUE_DATE_MISMATCH, a, b), Kind.DUE_DATE_MISMATCH, ids,
                f"{label} is due on {day(a.due_date)} in {a.source} but on "
                f"{day(b.due_date)} in {b.source}; reminders and aging will disagree.",
                cur, from_minor_units(max(a.balance, b.balance), cur), cust, details=both)
        ka, kb = name_key(a.customer), name_key(b.customer)
        said = _customers_said(a, b, customers)
        if said is False or (said is None and ka and kb and ka != kb
                             and fuzz.token_sort_ratio(ka, kb) < fuzzy):
            why = (" A person said these are two customers (`billing-hub unlink`)."
                   if said is False else "")
            yield Finding(
                _pair_key(Kind.CUSTOMER_MISMATCH, a, b), Kind.CUSTOMER_MISMATCH, ids,
                f"{label} is billed to {a.customer!r} in {a.source} but to "
                f"{b.customer!r} in {b.source}.{why}", cur, from_minor_units(a.total, cur),
                a.customer, details=both)


def differing(invoices: InvoiceTable, links: Links,
              customers: Mapping[frozenset[CustomerKey], bool] | None = None
              ) -> Iterator[Link]:
    """The linked pairs whose records differ in a field :func:`mismatches` compares, or
    whose customers a person said are two (``customers``, as :func:`mismatches` takes)."""
    cols = (invoices.currency.codes, invoices.total, invoices.balance, invoices.status.codes,
            invoices.due_date.codes, invoices.customer.codes)
    apart = {k for k, same in (customers or {}).items() if not same}
    for a, b, method in links:
        if any(col[a] != col[b] for col in cols):
            yield Link(invoices[a], invoices[b], method)
        elif apart:
            left, right = invoices[a], invoices[b]
            if _customers_said(left, right, customers or {}) is False:
                yield Link(left, right, method)


def _states(invoices: InvoiceTable) -> list[str]:
    """The state (paid, open, void ...) of each status code of the table."""
    return [_STATE.get(status, status) for status in invoices.status.values]


def missing(invoices: InvoiceTable, rows: Iterable[int], linked: bytearray, other: str,
            pair: PairSettings) -> Iterator[Finding]:
    """Invoices of one side of a pair (``rows``) with no counterpart on the other side."""
    states, codes = _states(invoices), invoices.status.codes
    for row in rows:
        if linked[row] or states[codes[row]] in ("void", "draft"):
            continue
        inv = invoices[row]
        if pair.since and inv.issue_date and inv.issue_date < pair.since:
            continue
        yield Finding(
            f"{Kind.MISSING.value}:{inv.source}:{inv.external_id}:{other}", Kind.MISSING,
            [inv.id],
            f"{inv.source} has {_label(inv)} for {inv.customer or 'an unnamed customer'} "
            f"({money(inv.total, inv.currency)}, issued {day(inv.issue_date)}), but {other} "
            "has no matching invoice.",
            inv.currency, from_minor_units(inv.total, inv.currency), inv.customer,
            details={"record": inv.record_name, "missing_in": other})


def duplicates(invoices: InvoiceTable, window_days: int) -> Iterator[Finding]:
    """Two invoices of one system for the same customer and amount a few days apart."""
    states, status = _states(invoices), invoices.status.codes
    names = [name_key(c) for c in invoices.customer.values]
    customer, ref = invoices.customer.codes, invoices.customer_ref
    total, issued = invoices.total, invoices.issue_date

    def same(row: int) -> tuple[int, str, int, int] | None:
        if states[status[row]] in ("void", "draft") or total[row] <= 0 or not issued[row]:
            return None
        who = names[customer[row]] or (ref[row] or "")
        return (invoices.source.codes[row], who, invoices.currency.codes[row],
                total[row]) if who else None

    for i, j in close_pairs(range(len(invoices)), same, issued.__getitem__, window_days):
        first, second = invoices[i], invoices[j]
        cur = first.currency
        assert first.issue_date and second.issue_date
        gap = (second.issue_date - first.issue_date).days
        when = "the same day" if gap == 0 else f"{gap} day{'s' if gap > 1 else ''} apart"
        yield Finding(
            f"{Kind.DUPLICATE_INVOICE.value}:{first.source}:{first.external_id}|"
            f"{second.external_id}", Kind.DUPLICATE_INVOICE, [first.id, second.id],
            f"{first.source} has two invoices for {first.customer or first.customer_ref} "
            f"of {money(first.total, cur)}, {when}: {_label(first)} and "
            f"{_label(second)}. If one was keyed twice, void it before it is chased.",
            cur, from_minor_units(second.total, cur), first.customer,
            details={"records": [first.record_name, second.record_name]})


def paid_without_payment(invoices: InvoiceTable, evidenced: bytearray) -> Iterator[Finding]:
    """Invoices marked paid while no payment, memo or bank credit in the store pays them
    (``evidenced``: 1 for each row something pays or names)."""
    states, status, total = _states(invoices), invoices.status.codes, invoices.total
    for row in range(len(invoices)):
        if states[status[row]] != "paid" or total[row] <= 0 or evidenced[row]:
            continue
        inv = invoices[row]
        yield Finding(
            f"{Kind.PAID_WITHOUT_PAYMENT.value}:{inv.source}:{inv.external_id}",
            Kind.PAID_WITHOUT_PAYMENT, [inv.id],
            f"{inv.source} marks {_label(inv)} ({money(inv.total, inv.currency)}, "
            f"{inv.customer or 'no customer'}) as paid, but no payment, remittance or bank "
            "credit in any system names it or was applied to it.",
            inv.currency, from_minor_units(inv.total, inv.currency), inv.customer,
            details={"record": inv.record_name})
