"""Sending an invoice to its customer through the channel its system offers, at most once.

The channel: a connector that declares ``send`` on ``invoice`` (Stripe,
QuickBooks) has its system send the invoice (:meth:`Connector.send_invoice`);
any other source has it e-mailed by the hub, as a PDF with a plain-text body,
through ``[invoicing] mailer``; with no mailer configured, the send is refused
with the reason.

Per invoice, in this order:

1. the invoice is read from the store: void, deleted, or a draft the channel
   cannot finalize is refused; one already sent is not sent again;
2. its send row is made ``sending`` under the invoice's key (Stripe's
   ``Idempotency-Key``, QuickBooks' ``requestid``, the e-mail's ``Message-ID``)
   and that is **committed before** the system or the server is asked;
3. the system or the server is asked;
4. its answer is committed: ``sent``/``delivered``, ``bounced``, ``rejected``.

A process that dies between 3 and 4 leaves the row ``sending``. The next run
asks a system that keeps idempotency keys again with the same key, and it
answers with the first result: the customer gets one e-mail, and the row
becomes ``sent``. An SMTP server keeps no keys, so an e-mail row left
``sending`` becomes ``unconfirmed`` and is not sent again by the hub: a person
checks (by its Message-ID) and says ``invoices mark RECORD --sent`` or
``--not-sent``. A ``rejected`` or ``bounced`` send may be asked again after a
fix, under a new key (Stripe replays a refusal for its key for a day).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from hub.contract.mail import MailAttachment, Mailer, OutgoingMail
from hub.contract.names import record_name
from hub.contract.sending import InvoiceDelivery, SendReceipt, SendStatus, send_key
from hub.errors import (
    ConfigError,
    DeliveryUnknown,
    HubError,
    MessageRefused,
    TransientError,
)
from hub.invoicing import pdf, wording
from hub.invoicing.settings import InvoicingSettings
from hub.models import Customer, Invoice, InvoiceStatus
from hub.runtime import Hub
from hub.secrets import redact
from hub.store import Connection, audit, runs
from hub.store import invoice_sends as store
from hub.store.clock import utcnow

log = logging.getLogger(__name__)

SERVICE, EMAIL = "service", "email"
ISSUED = (InvoiceStatus.OPEN.value, InvoiceStatus.PARTIALLY_PAID.value)
"""What ``--due`` sends: issued invoices that still ask for money (and, where the
system finalizes itself, its drafts)."""


class SendRunBusy(runs.AlreadyRunning):
    """Another process is sending invoices right now."""


class CannotSend(HubError):
    """This invoice's system cannot send it, and the hub has no way to either."""


@dataclass(frozen=True, slots=True)
class Channel:
    kind: str
    """``service`` (the system sends it) or ``email`` (the hub mails the PDF)."""
    via: str
    """The connector that does it: the source itself, or the mailer."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one invoice asked to be sent."""

    name: str
    number: str
    status: str
    """``sent``, ``delivered``, ``bounced``, ``rejected``, ``unconfirmed``, ``already`` (sent
    before, not again) or ``refused`` (not asked at all: the reason says why)."""
    channel: str = ""
    to: str | None = None
    note: str = ""


@dataclass(slots=True)
class InvoiceSender:
    """Sends invoices of the store to their customers; see the module's docstring."""

    hub: Hub
    settings: InvoicingSettings
    clock: Callable[[], datetime] = utcnow
    actor: str = field(default_factory=audit.default_actor)
    _connectors: dict[str, object] = field(default_factory=dict)

    # ------------------------------------------------------------------ channels
    def channel(self, source: str) -> Channel:
        """How invoices of ``source`` go out, or :class:`CannotSend` saying why none can."""
        spec = self.hub.connector_spec(source)
        support = spec.supports("invoice")
        if support is not None and support.send:
            return Channel(SERVICE, source)
        if self.settings.mailer is not None:
            return Channel(EMAIL, self.settings.mailer)
        raise CannotSend(
            f"{source} ({spec.name}) cannot send invoices: its connector declares no send "
            "channel, and no [invoicing] mailer is configured to e-mail them as a PDF",
            hint='add `mailer = "NAME"` (an email connector with an smtp section) and '
                 "`from_address` to [invoicing]")

    # ------------------------------------------------------------------ running
    def send(self, names: list[tuple[str, str]]) -> list[Outcome]:
        """Send each ``(source, external_id)`` invoice in turn, as one run; e-mails a run
        that died left ``sending`` are made ``unconfirmed`` first, and reported."""
        outcomes: list[Outcome] = []
        with self.hub.engine.begin() as conn:
            run_id = runs.begin(conn, "send-invoices", "*", self.clock(),
                                doing="a send of invoices", busy=SendRunBusy)
            outcomes += self._unconfirm_abandoned(conn)
        try:
            with runs.recorded(self.hub.engine, run_id, self.clock):
                settled = {o.name for o in outcomes}
                for source, external_id in names:
                    if record_name(source, "invoice", external_id) not in settled:
                        outcomes.append(self.send_one(source, external_id))
        finally:
            for connector in self._connectors.values():
                close = getattr(connector, "close", None)
                if close is not None:
                    close()
        return outcomes

    def _unconfirm_abandoned(self, conn: Connection) -> list[Outcome]:
        """E-mails left ``sending`` by a run that died (no other run is at work: this one
        holds the run's lock): nobody knows whether the server took them."""
        found = []
        for row in store.in_status(conn, [store.SENDING], channel=EMAIL):
            name = record_name(row.source, "invoice", row.invoice_external_id)
            reason = _unconfirmed_reason(name, row.message_id)
            store.set_status(conn, row.id, store.UNCONFIRMED, reason)
            audit.record(conn, "invoice.send_unconfirmed", subject=name, actor=self.actor,
                         at=self.clock(), details={"message_id": row.message_id})
            found.append(Outcome(name, row.invoice_number, store.UNCONFIRMED, EMAIL,
                                 row.to_address, reason))
        return found

    def due(self, today: date) -> list[tuple[str, str]]:
        """Every invoice of ``[invoicing] sources`` issued by ``today`` and not sent yet (a
        system that finalizes its own drafts sends those too), and every system send a
        run left unanswered."""
        names: list[tuple[str, str]] = []
        with self.hub.engine.connect() as conn:
            for source in self.settings.sources:
                statuses = list(ISSUED)
                if self.channel(source).kind == SERVICE:
                    statuses.append(InvoiceStatus.DRAFT.value)
                names += [(i.source, i.external_id)
                          for i in store.unsent(conn, [source], statuses=statuses,
                                                issued_by=today)]
            names += [(s.source, s.invoice_external_id)
                      for s in store.in_status(conn, [store.SENDING], channel=SERVICE)
                      if (s.source, s.invoice_external_id) not in names]
        return names

    def send_one(self, source: str, external_id: str) -> Outcome:
        name = record_name(source, "invoice", external_id)
        channel = self.channel(source)
        with self.hub.engine.begin() as conn:
            ready = self._prepare(conn, source, external_id, name, channel)
            if isinstance(ready, Outcome):
                return ready
            invoice, customer_name, to, row = ready
        if channel.kind == SERVICE:
            return self._through_service(channel, invoice, to, row, name)
        return self._through_mail(channel, invoice, customer_name, to, row, name)

    def _prepare(self, conn: Connection, source: str, external_id: str, name: str,
                 channel: Channel
                 ) -> Outcome | tuple[Invoice, str, str | None, store.InvoiceSend]:
        found = store.invoice(conn, source, external_id)
        if found is None or found.deleted:
            raise HubError(f"no invoice {name} in the store",
                           hint="sync it first; `billing-hub export invoice` lists the invoices")
        invoice = Invoice.model_validate_json(found.data)
        refused = _not_sendable(invoice, channel)
        if refused:
            return Outcome(name, invoice.number, "refused", channel.kind, note=refused)
        earlier = store.of_invoice(conn, source, external_id)
        if earlier is not None:
            said = self._earlier(conn, earlier, channel, name, invoice)
            if said is not None:
                return said
        customer = _customer(conn, invoice)
        customer_name = (customer.name if customer else None) or invoice.customer_name or ""
        to = customer.email if customer is not None else None
        key = send_key(source, external_id)
        if earlier is not None and earlier.status in (store.REJECTED, store.BOUNCED):
            key = f"{key}-{earlier.attempts}"  # a new try after a fix: a new key
        elif earlier is not None:
            key = earlier.key
        message_id = (_message_id(key, self.settings.from_address or "")
                      if channel.kind == EMAIL else None)
        if channel.kind == EMAIL and not to:
            return Outcome(name, invoice.number, "refused", channel.kind, note=(
                f"the hub knows no e-mail address of {customer_name or 'its customer'}: add "
                f"one to the customer in {source}, sync, and send again"))
        row = store.begin(conn, key=key, source=source, invoice_external_id=external_id,
                          invoice_id=found.id, invoice_number=invoice.number,
                          channel=channel.kind, via=channel.via, to_address=to,
                          message_id=message_id, now=self.clock())
        return invoice, customer_name, to, row

    def _earlier(self, conn: Connection, earlier: store.InvoiceSend, channel: Channel,
                 name: str, invoice: Invoice) -> Outcome | None:
        """What an earlier send of the invoice means for this one; None: go ahead."""
        if earlier.status in (store.SENT, store.DELIVERED):
            when = earlier.sent_at.date().isoformat() if earlier.sent_at else "before"
            return Outcome(name, invoice.number, "already", earlier.channel, earlier.to_address,
                           f"sent {when} through {earlier.via}; an invoice is sent once")
        if earlier.status == store.UNCONFIRMED:
            return Outcome(name, invoice.number, store.UNCONFIRMED, earlier.channel,
                           earlier.to_address, earlier.last_error or "")
        return None  # sending through a system (same key again), rejected or bounced

    # ------------------------------------------------------------------ the channels
    def _connector(self, name: str) -> object:
        if name not in self._connectors:
            self._connectors[name] = self.hub.connector(name)
        return self._connectors[name]

    def _through_service(self, channel: Channel, invoice: Invoice, to: str | None,
                         row: store.InvoiceSend, name: str) -> Outcome:
        connector = self._connector(channel.via)
        delivery = InvoiceDelivery(invoice, invoice.external_id, row.key, to)
        try:
            receipt: SendReceipt = connector.send_invoice(delivery)  # type: ignore[attr-defined]
        except TransientError as exc:  # the row stays `sending`: the next run asks again
            with self.hub.engine.begin() as conn:
                store.set_status(conn, row.id, store.SENDING, _first_line(exc))
            raise
        return self._keep(row, name, invoice, channel, receipt)

    def _through_mail(self, channel: Channel, invoice: Invoice, customer_name: str,
                      to: str | None, row: store.InvoiceSend, name: str) -> Outcome:
        assert to is not None and row.message_id is not None
        mailer = self._connector(channel.via)
        if not isinstance(mailer, Mailer):
            raise ConfigError(f"connector {channel.via!r} cannot send mail",
                              path="invoicing.mailer",
                              hint="name an email connector with an smtp section")
        settings = self.settings
        locale = wording.locale_of(self._customer_record(invoice), settings.locale)
        document = pdf.render(invoice, customer_name=customer_name, customer_email=to,
                              company=settings.company, locale=locale)
        mail = OutgoingMail(
            message_id=row.message_id, from_address=settings.from_address or "",
            from_name=settings.from_name, reply_to=settings.reply_to, to=to,
            subject=wording.subject(invoice, settings.company, locale),
            body=wording.body(invoice, customer_name, settings.company, locale),
            headers={"X-Billing-Hub-Invoice": name},
            attachments=(MailAttachment(_filename(invoice.number), "application/pdf",
                                        document),))
        try:
            reply = mailer.send_mail(mail)
        except MessageRefused as exc:
            receipt = SendReceipt(row.key, SendStatus.BOUNCED, to=to, reason=_first_line(exc))
        except DeliveryUnknown as exc:
            reason = (f"{_first_line(exc)}; check whether Message-ID {row.message_id} arrived, "
                      f"then `billing-hub invoices mark {name} --sent` or `--not-sent`")
            with self.hub.engine.begin() as conn:
                store.set_status(conn, row.id, store.UNCONFIRMED, reason)
            return Outcome(name, invoice.number, store.UNCONFIRMED, EMAIL, to, reason)
        except HubError as exc:  # certainly not taken (4xx tries ran out, login refused)
            with self.hub.engine.begin() as conn:
                store.finish(conn, row.id, store.REJECTED, reason=_first_line(exc))
            raise
        else:
            receipt = SendReceipt(row.key, SendStatus.SENT, to=to, answer=reply[:500])
        return self._keep(row, name, invoice, channel, receipt)

    def _customer_record(self, invoice: Invoice) -> Customer | None:
        with self.hub.engine.connect() as conn:
            return _customer(conn, invoice)

    def _keep(self, row: store.InvoiceSend, name: str, invoice: Invoice, channel: Channel,
              receipt: SendReceipt) -> Outcome:
        now = self.clock()
        status = {SendStatus.SENT: store.SENT, SendStatus.DELIVERED: store.DELIVERED,
                  SendStatus.BOUNCED: store.BOUNCED,
                  SendStatus.REJECTED: store.REJECTED}[receipt.status]
        went = status in (store.SENT, store.DELIVERED)
        with self.hub.engine.begin() as conn:
            store.finish(conn, row.id, status, answer=receipt.answer,
                         reason=receipt.reason or None, to_address=receipt.to,
                         sent_at=now if went else None,
                         delivered_at=receipt.delivered_at if went else None)
            audit.record(conn, f"invoice.{status}", subject=name, actor=self.actor, at=now,
                         details={"channel": channel.kind, "via": channel.via,
                                  "to": receipt.to or row.to_address, "key": row.key,
                                  "message_id": row.message_id,
                                  "answer": receipt.answer[:200], "reason": receipt.reason})
        return Outcome(name, invoice.number, status, channel.kind, receipt.to or row.to_address,
                       receipt.reason or receipt.answer)


def _not_sendable(invoice: Invoice, channel: Channel) -> str | None:
    if invoice.status is InvoiceStatus.VOID:
        return f"invoice {invoice.number} is void: there is nothing to send"
    if invoice.status is InvoiceStatus.DRAFT and channel.kind != SERVICE:
        return (f"invoice {invoice.number} is a draft: issue it in its system first (the hub "
                "e-mails issued invoices only)")
    return None


def _customer(conn: Connection, invoice: Invoice) -> Customer | None:
    data = None
    if invoice.customer_ref:
        data = store.customer_data(conn, invoice.source, invoice.customer_ref)
    if data is None and invoice.customer_name:
        data = store.customer_named(conn, invoice.source, invoice.customer_name)
    return None if data is None else Customer.model_validate_json(data)


def _unconfirmed_reason(name: str, message_id: str | None) -> str:
    return (f"a run stopped while the mail server was being asked; it may have been sent. "
            f"Look for Message-ID {message_id} in the Sent folder or the server's log, then "
            f"`billing-hub invoices mark {name} --sent` or `--not-sent`")


def _message_id(key: str, from_address: str) -> str:
    domain = from_address.rpartition("@")[2].lower() or "billing-hub.invalid"
    return f"<{key}@{domain}>"


def _filename(number: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in number)
    return f"invoice-{safe or 'invoice'}.pdf"


def _first_line(exc: HubError) -> str:
    return redact(exc.message)[:500]
