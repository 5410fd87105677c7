"""Acting on customers' replies: each reply the mailbox connector stored, once.

``billing-hub collect`` (and ``reminders inbox``, ``customer show``) first
takes in the replies of ``[collections] mailer`` that no run has acted on:

- **dispute**: a :class:`~hub.models.Dispute` opens on the invoices it names
  (those of the customer's that the text names; else the reminder it answers;
  else the whole account), and it goes on the worklist to be answered;
- **stop**: the customer is on do-not-contact until a coordinator lifts it
  (``billing-hub customer contact NAME --resume``, audited with who);
- **promise**: a :class:`~hub.models.Promise` with its date (and amount when
  said) holds the invoices until the date plus the grace period;
- **out of office**: contact waits until the return date;
- **bounce**: the address is flagged: no reminder goes to it;
- **question**, **other**, a remittance naming no amount, and whatever the
  hub could not tie to a customer: on a person's worklist.

A reply is tied to its customer by the reminder it answers (In-Reply-To,
References, a bounce's returned Message-ID), else by the invoice numbers it
names, else by the sender's address. Every reply is kept in the customer's
history; acting twice on one is impossible (its history entry is keyed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from pydantic import ValidationError

from hub.collect.contact_book import ContactBook
from hub.collect.settings import CollectionSettings
from hub.contract.names import record_name
from hub.models import Dispute, Invoice, Promise, Reply, ReplyKind
from hub.store import Connection
from hub.store import contact as store_contact

ACTOR = "billing-hub (a customer's reply)"


@dataclass(slots=True)
class TakenIn:
    """What one intake did."""

    replies: int = 0
    disputes: int = 0
    stops: int = 0
    promises: int = 0
    away: int = 0
    bounced: int = 0
    for_a_person: int = 0


def take_in_replies(conn: Connection, settings: CollectionSettings, now: datetime) -> TakenIn:
    """Act on every stored reply of the mailer not acted on yet (in the caller's
    transaction)."""
    taken = TakenIn()
    book: ContactBook | None = None
    for external_id, data, raw in store_contact.replies(conn, settings.mailer):
        ref = f"reply:{settings.mailer}:{external_id}"
        if store_contact.has_event(conn, ref):
            continue
        try:
            reply = Reply.model_validate({**orjson.loads(data), "raw": orjson.loads(raw)})
        except ValidationError:
            continue
        book = book or ContactBook(conn, settings.source)
        _act(conn, book, reply, ref, now, taken)
        taken.replies += 1
    return taken


def _act(conn: Connection, book: ContactBook, reply: Reply, ref: str, now: datetime,
         taken: TakenIn) -> None:
    customer, invoices = _tie(conn, book, reply)
    at = reply.received_at or now
    numbers = [i.number for i in invoices]
    who = reply.sender_name or reply.sender
    said = f": \u201c{reply.evidence}\u201d" if reply.evidence else ""
    person = reply.needs_person
    kind = reply.kind
    if kind is ReplyKind.DISPUTE:
        dispute = Dispute(
            source=reply.source, external_id=reply.external_id, customer_ref=customer,
            invoice_numbers=numbers,
            invoice_refs=[record_name(book.source, "invoice", i.external_id) for i in invoices],
            reason=reply.evidence or reply.subject, opened_at=at, raw=reply.raw)
        store_contact.add_dispute(conn, dispute, at=now)
        taken.disputes += 1
        what = ", ".join(numbers) if numbers else "the account (no invoice named)"
        _event(conn, customer, at, "dispute", f"dispute opened on {what} by {who}{said}",
               ref=f"dispute:{ref}", details={"invoices": numbers})
        person = person or "a dispute to answer"
    elif kind is ReplyKind.STOP:
        store_contact.add_block(conn, customer=customer, kind=store_contact.STOP,
                                address=None if customer else reply.sender, origin=ref,
                                reason=f"{who} asked to stop contact{said}", at=at, actor=ACTOR)
        taken.stops += 1
        _event(conn, customer, at, "stop", f"{who} asked to stop all contact{said}; lift with "
               "`billing-hub customer contact NAME --resume`", ref=f"stop:{ref}")
        person = person or "a request to stop contact"
    elif kind is ReplyKind.PROMISE and reply.promised_date is not None:
        promise = Promise(
            source=reply.source, external_id=reply.external_id, customer_ref=customer,
            invoice_numbers=numbers,
            invoice_refs=[record_name(book.source, "invoice", i.external_id) for i in invoices],
            promised_date=reply.promised_date, amount=reply.promised_amount,
            currency=reply.currency, made_at=at, note=reply.evidence or "", raw=reply.raw)
        store_contact.add_promise(conn, promise)
        taken.promises += 1
        _event(conn, customer, at, "promise",
               f"{who} promised to pay {', '.join(numbers) or 'the account'} by "
               f"{reply.promised_date}{said}", ref=f"promise:{ref}",
               details={"invoices": numbers, "date": reply.promised_date})
    elif kind is ReplyKind.OUT_OF_OFFICE:
        if reply.return_date is not None:
            store_contact.add_block(conn, customer=customer, kind=store_contact.AWAY,
                                    address=None if customer else reply.sender,
                                    until=reply.return_date, origin=ref, at=at, actor=ACTOR,
                                    reason=f"{who} is away until {reply.return_date}")
            taken.away += 1
        else:
            person = person or "an absence notice without a return date"
    elif kind is ReplyKind.BOUNCE:
        for address in reply.bounced_addresses:
            store_contact.add_block(conn, customer=customer, kind=store_contact.BOUNCED,
                                    address=address, origin=f"{ref}:{address}", at=at,
                                    actor=ACTOR, reason=f"mail to {address} bounced"
                                                        f"{said}")
            taken.bounced += 1
        person = person or "an address bounced: find a working one"
    elif kind in (ReplyKind.QUESTION, ReplyKind.OTHER):
        person = person or f"a {kind.value.replace('_', ' ')}"
    if customer is None:
        person = person or "a reply the hub could not tie to a customer"
    if person:
        taken.for_a_person += 1
    _event(conn, customer, at, "reply",
           f"{kind.value.replace('_', ' ')} from {who} ({reply.sender}): "
           f"{reply.subject or '(no subject)'}",
           ref=ref, open_item=person is not None,
           details={"reply": record_name(reply.source, "reply", reply.external_id),
                    "kind": kind.value, "needs_person": person, "evidence": reply.evidence,
                    "invoices": numbers, "text": reply.text[:1000],
                    "promised_date": reply.promised_date, "return_date": reply.return_date,
                    "bounced": reply.bounced_addresses})


def _event(conn: Connection, customer: str | None, at: datetime, kind: str, summary: str, *,
           ref: str, open_item: bool = False, details: dict[str, object] | None = None) -> None:
    store_contact.add_event(conn, customer=customer, at=at, kind=kind, summary=summary,
                            actor=ACTOR, ref=ref, open_item=open_item, details=details)


def _tie(conn: Connection, book: ContactBook, reply: Reply
         ) -> tuple[str | None, list[Invoice]]:
    """The reply's customer and the invoices it is about."""
    answered = [r for r in store_contact.reminders_answered(conn, reply.refers_to)
                if r.source == book.source]
    named = [i for n in reply.invoice_numbers if (i := book.invoice_by_number(n)) is not None]
    customer: str | None = None
    for r in answered:
        customer = customer or book.customer_of_invoice_id(r.invoice_external_id)
    if customer is None:
        for invoice in named:
            customer = customer or book.customer_of(invoice)
    addresses = [reply.sender, *reply.bounced_addresses]
    if customer is None:
        for address in addresses:
            customer = customer or book.customer_by_email(address)
    if customer is None:
        for r in store_contact.reminders_to(conn, addresses):
            if r.source == book.source:
                customer = customer or book.customer_of_invoice_id(r.invoice_external_id)
    invoices = [i for i in named if customer is None or book.customer_of(i) == customer]
    if not invoices and reply.kind in (ReplyKind.DISPUTE, ReplyKind.PROMISE):
        seen: set[str] = set()
        for r in answered:
            found = book.invoices.get(r.invoice_external_id)
            if found is not None and found.external_id not in seen:
                seen.add(found.external_id)
                invoices.append(found)
    return customer, _unique(invoices)


def _unique(invoices: list[Invoice]) -> list[Invoice]:
    seen: dict[str, Invoice] = {}
    for invoice in invoices:
        seen.setdefault(invoice.external_id, invoice)
    return list(seen.values())


