"""Sending queued reminders through a :class:`~hub.contract.mail.Mailer`, each at most once.

SMTP has no idempotency key: a server that accepted a message and is asked
again delivers it again. So, per reminder, in this order:

1. the invoice is read again from the store: paid, voided or deleted since
   the reminder was queued means it is ``cancelled``, not sent; a rule that
   holds it now (:func:`hub.collect.gate.holds_before_contact`: paid in
   another system, covered by a receipt, ...) makes it ``held``, with the
   rule; a rule that says "not now" (:func:`hub.collect.timing.wait_for`:
   outside the customer's contact hours, a weekend or holiday there, the
   contact cap reached) leaves it queued, with the rule and until when;
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

from hub.collect import contact_holds, timing
from hub.collect.gate import holds_before_contact
from hub.collect.holds import Hold
from hub.collect.known import Known
from hub.collect.plan import (
    CANCELLED,
    FAILED,
    QUEUED,
    REMINDABLE,
    SENDING,
    UNCONFIRMED,
)
from hub.collect.settings import CollectionSettings, opt_out_line
from hub.contract.mail import Mailer, OutgoingMail
from hub.errors import (
    DeliveryUnknown,
    FatalError,
    HubError,
    MessageRefused,
    TransientError,
)
from hub.reconcile.ruleset import RuleSet
from hub.reconcile.settings import ReconcileSettings
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
    """Still queued after the run (the server kept failing, or a rule said not now)."""
    held: int = 0
    """Held right before sending: a rule holds them (:mod:`hub.collect.holds`)."""
    deferred: int = 0
    """Not sent now: outside contact hours, a weekend or holiday, the contact cap."""
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
    reconcile: ReconcileSettings | None = None
    """How the reconciler links copies and applies cash (default: its defaults)."""
    rules: RuleSet | None = None
    today: date | None = None
    """The day the customer's replies are judged on (``collect --today``); default: the
    clock's."""
    known: Known | None = field(default=None, init=False)

    def send(self) -> ReminderCounts:
        """Send every queued reminder; see the module's docstring."""
        counts = ReminderCounts()
        with self.engine.connect() as conn:
            self.known = Known(conn, self.reconcile or ReconcileSettings(), self.rules)
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
            now = self.clock()
            assert self.known is not None
            held = holds_before_contact(conn, self.known, customer=row.customer,
                                        invoice_ids=[row.invoice_id] if row.invoice_id else [],
                                        now=now, invoice_numbers=[row.invoice_number],
                                        address=row.to_address, today=self.today,
                                        grace_days=self.settings.replies.promise_grace_days)
            if held:
                self._hold(conn, row, held, now)
                counts.held += 1
                return
            place = timing.place_of(self.settings,
                                    timing.customer_metadata(conn, row.customer))
            wait = timing.wait_for(conn, self.settings, row.customer, place, now)
            if wait is not None:
                store_reminders.note_wait(conn, rid, rule=wait.rule, reason=wait.reason)
                counts.deferred += 1
                return
            if not store_reminders.take(conn, rid, now):
                return  # changed meanwhile (a person cancelled it)
        reply_to = self.settings.reply_address
        line = opt_out_line(self.settings)
        body = row.body if line in row.body else row.body.rstrip("\n") + f"\n\n-- \n{line}\n"
        mail = OutgoingMail(message_id=row.message_id,
                            from_address=self.settings.from_address,
                            from_name=self.settings.from_name, reply_to=reply_to,
                            to=row.to_address, subject=row.subject, body=body,
                            headers={"X-Billing-Hub-Reminder": row.key,
                                     "List-Unsubscribe": f"<mailto:{reply_to}?subject=STOP>"})
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

    def _hold(self, conn: Connection, row: Reminder, held: list[Hold], now: datetime) -> None:
        reason = "; ".join(h.text() for h in held)
        if store_reminders.hold(conn, row.id, rule=held[0].rule, reason=reason, now=now,
                                was=(QUEUED,)):
            audit.record(conn, "reminder.held", subject=f"reminder:{row.id}", actor=self.actor,
                         at=now, details={"invoice": f"{row.source}:{row.invoice_number}",
                                          "stage_days": row.stage_days,
                                          "customer": row.customer,
                                          "rules": [h.rule for h in held], "reason": reason})
            contact_holds.record_held(conn, customer=row.customer, key=row.key,
                                      invoice_number=row.invoice_number,
                                      stage_days=row.stage_days, holds=held, now=now,
                                      actor=self.actor, when="right before sending")

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
