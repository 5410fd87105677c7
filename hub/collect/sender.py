"""Sending queued reminders through a :class:`~hub.contract.mail.Mailer`, each at most once.

SMTP has no idempotency key: a server that accepted a message and is asked
again delivers it again. So, per reminder, in this order:

1. the invoice is read again from the store: paid, voided or deleted since
   the reminder was queued means it is ``cancelled``, not sent;
2. the row is marked ``sending`` (with the attempt and the time) and that is
   **committed before** the server is asked;
3. the mailer hands the message over (retrying only what the server
   certainly did not take: 4xx answers, a connection lost before the data);
4. the server's answer is committed: ``sent`` with its reply, ``failed``
   with the reason for a 5xx refusal.

What this guarantees: a reminder the store records as ``sent`` was accepted
by the server; a reminder is never handed to the server by two runs (a
second run on this machine is refused while one works, as for pushes); and
it is never handed over again by the hub once a try may have reached the
server. What it cannot guarantee, and how close it gets: if the process dies
(or the connection drops) between the server's acceptance and step 4's
commit, the row stays ``sending``. The next run cannot know whether the
message went, so it marks such rows ``unconfirmed`` and does **not** send them
again: a person checks (the Sent folder, the server's log, by the Message-ID
in ``billing-hub reminders list``) and then says ``reminders confirm ID``
(it went) or ``reminders resend ID`` (it did not). At most once, then,
with the rare unknown case left to a person rather than guessed; never
twice by the hub's own doing. Every try of a reminder carries the same
``Message-ID`` (derived from its key), so even a resend a person asks for is
recognisable, and some receiving systems (Gmail among them) file a second
copy with a Message-ID they already hold as the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from hub.collect import contact_holds  # issue 19
from hub.collect.contact_book import ContactBook
from hub.collect.plan import (
    CANCELLED,
    FAILED,
    QUEUED,
    REMINDABLE,
    SENDING,
    UNCONFIRMED,
)
from hub.collect.settings import CollectionSettings
from hub.contract.mail import Mailer, OutgoingMail
from hub.errors import (
    DeliveryUnknown,
    FatalError,
    HubError,
    MessageRefused,
    TransientError,
)
from hub.secrets import redact
from hub.store import Connection, Engine, audit, lookups, runs
from hub.store import reminders as store_reminders
from hub.store.clock import utcnow
from hub.store.reminders import Reminder

log = logging.getLogger(__name__)


class ReminderRunBusy(runs.AlreadyRunning):
    """Another process on this machine is sending reminders through the same mailer."""


@dataclass(slots=True)
class ReminderCounts:
    """What one send run did."""

    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    unconfirmed: int = 0
    """Found ``sending`` from a run that died, or handed over with no answer: a person
    decides whether they went."""
    waiting: int = 0
    """Still queued after the run (the server kept failing, or a contact hold keeps it)."""
    held: int = 0
    """Kept queued right before sending by what the customer said (issue 19)."""
    stopped: str | None = None


@dataclass(slots=True)
class ReminderSender:
    """Sends the queued reminders of ``settings.source`` through ``mailer``."""

    engine: Engine
    mailer: Mailer
    settings: CollectionSettings
    clock: Callable[[], datetime] = utcnow
    actor: str = field(default_factory=audit.default_actor)
    after_handover: Callable[[int], None] | None = None
    """Called with the reminder's id after the server accepted it and before that is
    committed (tests stop the process there)."""
    today: date | None = None
    """The day contact holds are judged on (``collect --today``); default: the clock's."""
    _books: dict[str, ContactBook] = field(default_factory=dict, init=False, repr=False)

    def send(self) -> ReminderCounts:
        """Send every queued reminder; see the module's docstring."""
        counts = ReminderCounts()
        with self.engine.begin() as conn:
            run_id = runs.begin(conn, "remind", self.settings.mailer, self.clock(),
                                doing=f"sending reminders through {self.settings.mailer!r}",
                                busy=ReminderRunBusy)
            counts.unconfirmed += self._unconfirm_abandoned(conn)
        with runs.recorded(self.engine, run_id, self.clock) as outcome:
            self._send_all(counts)
            if counts.stopped:
                outcome.fail(counts.stopped)
            return counts

    def _unconfirm_abandoned(self, conn: Connection) -> int:
        """Rows left ``sending`` by a run that died: nobody knows whether they went."""
        stuck = store_reminders.in_status(conn, self.settings.mailer, SENDING)
        for rid, message_id in stuck:
            store_reminders.set_status(
                conn, rid, UNCONFIRMED,
                "a run stopped while the server was being asked; it may have been "
                f"sent. Look for Message-ID {message_id} in the Sent folder or the "
                "server's log, then `billing-hub reminders confirm "
                f"{rid}` or `billing-hub reminders resend {rid}`")
            audit.record(conn, "reminder.unconfirmed", subject=f"reminder:{rid}",
                         actor=self.actor, at=self.clock(), details={"message_id": message_id})
        return len(stuck)

    def _send_all(self, counts: ReminderCounts) -> None:
        after = 0
        while counts.stopped is None:
            with self.engine.connect() as conn:
                row = store_reminders.next_queued(conn, self.settings.mailer, after)
            if row is None:
                break
            after = row.id
            self._send_one(row, counts)
        with self.engine.connect() as conn:
            counts.waiting = store_reminders.count(conn, self.settings.mailer, QUEUED)

    def _send_one(self, row: Reminder, counts: ReminderCounts) -> None:
        rid = row.id
        with self.engine.begin() as conn:
            why_not = self._no_longer_due(conn, row)
            if why_not:
                self._finish(conn, rid, CANCELLED, why_not, "reminder.cancelled")
                counts.cancelled += 1
                return
            if self._held(conn, row):  # issue 19: stays queued until nothing holds it
                counts.held += 1
                return
            if not store_reminders.take(conn, rid, self.clock()):
                return  # changed meanwhile (a person cancelled it)
        mail = OutgoingMail(message_id=row.message_id,
                            from_address=self.settings.from_address,
                            from_name=self.settings.from_name, reply_to=self.settings.reply_to,
                            to=row.to_address, subject=row.subject, body=row.body,
                            headers={"X-Billing-Hub-Reminder": row.key})
        try:
            reply = self.mailer.send_mail(mail)
        except MessageRefused as exc:
            with self.engine.begin() as conn:
                self._finish(conn, rid, FAILED, _first_line(exc), "reminder.failed")
            counts.failed += 1
            return
        except DeliveryUnknown as exc:
            with self.engine.begin() as conn:
                self._finish(conn, rid, UNCONFIRMED, _first_line(exc) + "; check whether it "
                             f"arrived, then `billing-hub reminders confirm {rid}` or "
                             f"`billing-hub reminders resend {rid}`", "reminder.unconfirmed")
            counts.unconfirmed += 1
            counts.stopped = _first_line(exc)
            return
        except (TransientError, FatalError) as exc:  # certainly not taken: queued again
            with self.engine.begin() as conn:
                store_reminders.set_status(conn, rid, QUEUED, _first_line(exc))
            if isinstance(exc, FatalError):
                raise
            counts.stopped = _first_line(exc)
            return
        # Anything else (a bug, Ctrl-C) while the server is being asked propagates: the
        # row stays ``sending``, and the next run makes it ``unconfirmed``.
        if self.after_handover is not None:
            self.after_handover(rid)
        with self.engine.begin() as conn:
            store_reminders.mark_sent(conn, rid, at=self.clock(), reply=reply[:500])
            audit.record(conn, "reminder.sent", subject=f"reminder:{rid}", actor=self.actor,
                         at=self.clock(), details={
                             "invoice": f"{row.source}:{row.invoice_number}",
                             "stage_days": row.stage_days, "to": row.to_address,
                             "message_id": row.message_id, "reply": reply[:200]})
        counts.sent += 1

    def _held(self, conn: Connection, row: Reminder) -> bool:
        """Whether a contact hold (:mod:`hub.collect.contact_holds`) keeps it; recorded."""
        book = self._books.get(row.source) or self._books.setdefault(
            row.source, ContactBook(conn, row.source))
        customer = book.customer_of_invoice_id(row.invoice_external_id)
        now = self.clock()
        holds = contact_holds.holds_for(conn, customer, [row.invoice_number],
                                        self.today or now.date(),
                                        address=row.to_address,
                                        grace_days=self.settings.replies.promise_grace_days)
        contact_holds.record_held(conn, customer=customer, key=row.key,
                                  invoice_number=row.invoice_number, stage_days=row.stage_days,
                                  holds=holds, now=now, actor=self.actor,
                                  when="right before sending")
        return bool(holds)

    def _no_longer_due(self, conn: Connection, row: Reminder) -> str | None:
        found = lookups.standing_of(conn, row.source, "invoice", row.invoice_external_id)
        if found is None or found.deleted_at is not None:
            return f"invoice {row.invoice_number} is no longer in {row.source}"
        if found.status not in REMINDABLE or not found.open_minor or found.open_minor <= 0:
            state = str(found.status or "closed").replace("_", " ")
            return (f"invoice {row.invoice_number} is {state} now, with nothing left to "
                    "remind of")
        return None

    def _finish(self, conn: Connection, rid: int, status: str, reason: str,
                action: str) -> None:
        store_reminders.set_status(conn, rid, status, reason)
        audit.record(conn, action, subject=f"reminder:{rid}", actor=self.actor,
                     at=self.clock(), details={"reason": reason})


def _first_line(exc: HubError) -> str:
    """The error's message (its hint left out), fit for ``last_error``."""
    return redact(exc.message)[:500]
