"""The store's invoices, payments and customers, loaded once per reconcile.

The reconciler works on compact tables built from the store's indexed columns
(integer minor units, dates, numbers, parties), read in batches
(:mod:`hub.store.reading`) and kept column by column
(:mod:`hub.reconcile.tables`); the canonical JSON is parsed only
where a rule needs more (payment applications and memo, cross-system
references in metadata), so a million invoices fit in about a hundred MB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

import orjson

from hub.contract.rows import Application, CustomerRow, InvoiceRow, PaymentRow
from hub.contract.rules import Finding
from hub.money import to_minor_units
from hub.reconcile import completeness, conflicts, disputes, plans
from hub.reconcile.queued import Coordinated, coordinated
from hub.reconcile.sending import SendingPolicy
from hub.reconcile.sending import found as sending_findings
from hub.reconcile.tables import InvoiceTable, PaymentTable
from hub.store import Connection, quarantine, reading
from hub.store import aliases as store_aliases

__all__ = ["Application", "CustomerRow", "InvoiceRow", "InvoiceTable", "PaymentRow",
           "PaymentTable", "Snapshot", "load"]


class Snapshot:
    """Everything the reconciler reads: invoices and payments as tables (iterating
    one yields rows), customers, and the text of every money-in bank line."""

    __slots__ = ("awaiting", "bank_credits", "bank_lines", "conflicts", "customers",
                 "disputes", "incomplete", "invoices", "payments", "plans", "quarantined",
                 "sending")

    def __init__(self, invoices: InvoiceTable | Iterable[InvoiceRow] = (),
                 payments: PaymentTable | Iterable[PaymentRow] = (),
                 customers: Iterable[CustomerRow] = (), bank_credits: Iterable[str] = (),
                 bank_lines: Iterable[PaymentRow] = ()) -> None:
        self.invoices = (invoices if isinstance(invoices, InvoiceTable)
                         else InvoiceTable.of(invoices))
        self.payments = (payments if isinstance(payments, PaymentTable)
                         else PaymentTable.of(payments))
        self.customers = list(customers)
        self.bank_credits = list(bank_credits)
        """The text of every money-in bank line (description, reference, counterparty)."""
        self.quarantined: list[tuple[int, str, str]] = []
        """(quarantine entry id, the invoice number it holds, why) of the invoices in
        quarantine: a memo that names one is told so."""
        self.bank_lines = list(bank_lines)
        """Every bank line as a receipt would be: the counterparty as payer, the
        description and reference as memo; ``amount`` is signed (money out below 0)."""
        self.conflicts: list[Finding] = []
        """The ``concurrent_edit`` findings of changes the pusher held back
        (:mod:`hub.reconcile.conflicts`)."""
        self.sending: list[Finding] = []
        """The ``invoice_not_sent`` and ``invoice_sent_late`` findings
        (:mod:`hub.reconcile.sending`)."""
        self.plans: list[Finding] = []
        """The ``plan_instalment_missed`` findings (:mod:`hub.reconcile.plans`)."""
        self.incomplete: list[Finding] = []
        """The ``incomplete_sync`` findings of the newest source totals that disagree
        (:mod:`hub.reconcile.completeness`)."""
        self.disputes: list[Finding] = []
        """The ``dispute_open`` and ``dispute_lost`` findings (:mod:`hub.reconcile.disputes`);
        a lost dispute's amount is already taken off its payment and owed again on its
        invoice in the tables."""
        self.awaiting: dict[int, list[Coordinated]] = {}
        """receipt id -> the applications a coordinator made that its invoice's system
        has not confirmed yet (:mod:`hub.reconcile.queued`): not counted as applied."""

    def sources(self, entity: str) -> list[str]:
        if entity == "invoice":
            return sorted(set(self.invoices.source.values))
        if entity == "payment":
            return sorted(set(self.payments.source.values))
        return sorted({r.source for r in self.customers})


def _metadata(data: str) -> dict[str, str]:
    if '"metadata":{}' in data or '"metadata"' not in data:
        return {}
    meta = orjson.loads(data).get("metadata") or {}
    return {str(k): str(v) for k, v in meta.items()}


def _invoices(conn: Connection, as_of: datetime | None = None) -> InvoiceTable:
    table = InvoiceTable()
    for batch in reading.batches(conn, "invoice", as_of=as_of):
        (ids, sources, exts, numbers, parties, crefs, curs, totals, opens, statuses, issued,
         due, datas) = zip(*batch, strict=True)
        refs = {i: r for i, r in enumerate(map(_metadata, datas)) if r}
        first = len(table)
        for i, (status, data) in enumerate(zip(statuses, datas, strict=True)):
            if status in ("paid", "void") and '"source_modified":"' in data:
                stamp = orjson.loads(data).get("source_modified")
                if stamp:
                    table.modified[first + i] = date.fromisoformat(stamp[:10])
        table.extend(ids, sources, exts, numbers, parties, crefs, curs,
                     [int(t or 0) for t in totals], [int(o or 0) for o in opens],
                     [s or "open" for s in statuses], issued, due, refs)
    return table


def _payments(conn: Connection, as_of: datetime | None = None) -> PaymentTable:
    table = PaymentTable()
    for batch in reading.batches(conn, "payment", as_of=as_of):
        (ids, sources, exts, references, parties, crefs, curs, amounts, opens, statuses,
         received, _due, datas) = zip(*batch, strict=True)
        memos, apps, refs = [], [], {}
        for i, (data, cur) in enumerate(zip(datas, curs, strict=True)):
            doc = orjson.loads(data)
            memos.append(" ".join(str(doc.get(k) or "") for k in ("memo", "reference")).strip())
            apps.append([Application(a.get("invoice_ref"), a.get("invoice_number"),
                                     to_minor_units(Decimal(a["amount"]), cur))
                         for a in doc.get("applications") or ()])
            meta = {str(k): str(v) for k, v in (doc.get("metadata") or {}).items()}
            if meta:
                refs[i] = meta
        table.extend(ids, sources, exts, references, parties, crefs, curs,
                     [int(a or 0) for a in amounts], [int(o or 0) for o in opens], statuses,
                     received, memos, apps, refs)
    return table


def _customers(conn: Connection, as_of: datetime | None = None) -> Iterator[CustomerRow]:
    learned = store_aliases.live_names(conn)  # one query; few customers have any
    for batch in reading.batches(conn, "customer", as_of=as_of):
        for (rid, source, ext, _n, party, *_rest, data) in batch:
            doc = orjson.loads(data)
            meta = {str(k): str(v) for k, v in (doc.get("metadata") or {}).items()}
            aliases = tuple(str(a) for a in doc.get("aliases") or ())
            if rid in learned:  # the record's own first, then the learned ones it lacks
                seen = {store_aliases.name_key(a) for a in aliases}
                for name in learned[rid]:
                    if (key := store_aliases.name_key(name)) not in seen:
                        seen.add(key)
                        aliases += (name,)
            emails = tuple(e.strip() for e in re.split(r"[,;\s]+", doc.get("email") or "")
                           if "@" in e)
            yield CustomerRow(rid, source, ext, party or "", meta, aliases, emails)


_NUMBER_COLUMN = re.compile(r"(?i)^(no\.?|nr\.?|#|num|number|invoice|invoice.?(no|number|id)|"
                            r"rechnung\w*|facture|factura|faktura|doc\w*)$")


def _quarantined(conn: Connection) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for entry in quarantine.list_entries(conn, limit=100_000):
        if entry.entity != "invoice":
            continue
        raw = entry.raw_value()
        numbers = {entry.external_id} if entry.external_id else set()
        if isinstance(raw, dict):
            numbers |= {str(v) for k, v in raw.items()
                        if isinstance(v, str | int) and _NUMBER_COLUMN.match(str(k))}
        out.extend((entry.id, n, entry.reason) for n in sorted(numbers) if n)
    return out


def _bank_lines(conn: Connection, as_of: datetime | None = None) -> Iterator[PaymentRow]:
    for batch in reading.batches(conn, "bank_transaction", as_of=as_of):
        for (rid, source, ext, reference, party, _cref, cur, amount, _open, _status, booked,
             _due, data) in batch:
            doc = orjson.loads(data)
            memo = " ".join(str(doc.get(k) or "") for k in ("description", "reference"))
            minor = int(amount or 0)
            yield PaymentRow(rid, source, ext, reference, party, None, cur or "", minor,
                             max(minor, 0), None, booked, memo.strip(),
                             entity="bank_transaction")


def _bank_credits(conn: Connection, as_of: datetime | None = None) -> Iterator[str]:
    for data in reading.bank_credits(conn, as_of=as_of):
        doc = orjson.loads(data)
        yield " ".join(str(doc.get(k) or "") for k in ("description", "reference",
                                                        "counterparty"))


def _add_coordinated(conn: Connection, invoices: InvoiceTable, payments: PaymentTable,
                     bank_lines: list[PaymentRow], as_of: datetime | None = None
                     ) -> dict[int, list[Coordinated]]:
    """Count the confirmed applications a coordinator made (``apply-payment``) as made,
    unless the receipt's own record carries them; return those awaiting confirmation.
    ``as_of``: only those sent by then."""
    awaiting: dict[int, list[Coordinated]] = {}
    counted: dict[int, list[Coordinated]] = {}
    for c in coordinated(conn):
        if as_of is not None and (c.sent_at is None or c.sent_at > as_of):
            continue
        if c.awaiting:
            awaiting.setdefault(c.payment_id, []).append(c)
        elif not c.in_record:
            counted.setdefault(c.payment_id, []).append(c)
    if not counted:
        return awaiting
    wanted = {c.invoice_id for apps in counted.values() for c in apps}
    named = {invoice_id: (invoices.external_id.text(row), invoices.number[row])
             for row, invoice_id in enumerate(invoices.ids) if invoice_id in wanted}

    def application(c: Coordinated) -> Application:
        ext, number = named.get(c.invoice_id, (None, None))
        return Application(ext, number, c.amount, c.invoice_id)

    for row, payment_id in enumerate(payments.ids):
        for c in counted.get(payment_id, ()):
            payments.add_queued(row, application(c))
    for line in bank_lines:
        for c in counted.get(line.id, ()):
            line.applications.append(application(c))
            line.unapplied -= c.amount
    return awaiting


def load(conn: Connection, sending: SendingPolicy | None = None, *,
         as_of: datetime | None = None, today: date | None = None) -> Snapshot:
    """Read every live invoice, payment and customer, and the bank's money-in lines.

    Applications a coordinator made (``apply-payment``) count once the invoice's
    system confirmed them on a sync; until then they are ``awaiting``. ``sending``
    says whose invoices must be sent how soon (``[invoicing]``).

    ``as_of``: the records as the hub knew them at that moment (their history),
    with the applications sent by then.

    A lost dispute is money out (:mod:`hub.reconcile.disputes`): its payment counts
    that much less and its invoice owes it again. ``today`` dates the disputes'
    deadlines (default: ``sending``'s day, else ``as_of``'s, else today here).
    """
    invoices = _invoices(conn, as_of)
    payments = _payments(conn, as_of)
    pulled = disputes.load(conn, as_of)
    taken = disputes.take_back(pulled, invoices, payments)
    bank_lines = list(_bank_lines(conn, as_of))
    awaiting = _add_coordinated(conn, invoices, payments, bank_lines, as_of)
    snapshot = Snapshot(invoices, payments, _customers(conn, as_of), _bank_credits(conn, as_of),
                        bank_lines)
    snapshot.quarantined = _quarantined(conn)
    snapshot.awaiting = awaiting
    snapshot.conflicts = conflicts.found(conn)
    snapshot.sending = sending_findings(conn, sending)
    snapshot.incomplete = completeness.found(conn)
    day = today or (sending.today if sending is not None else None) or (
        as_of.date() if as_of is not None else datetime.now().astimezone().date())
    snapshot.disputes = disputes.findings(pulled, taken, invoices, payments, day)
    if as_of is None:
        snapshot.plans = plans.found(conn, day)
    return snapshot
