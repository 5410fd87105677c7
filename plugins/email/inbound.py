"""One inbound message read whole: a payment (remittance advice) or a reply.

Every message the mailbox holds becomes exactly one of: a
:class:`~hub.Payment` (a remittance the remittance reader can take), a
:class:`~hub.Reply` (a dispute, a stop, a promise, an absence notice, a
bounce, a question, anything else, and a remittance that names no amount),
or :class:`~plugins.email.message.Unreadable` (quarantined with its source
and the reason: broken MIME, undecodable text, a remittance whose amount is
for a person to decide). A reply is never quarantined merely because it
names no amount. The connector's two entities read the same decision:
``payment`` keeps the payments and the unreadable, ``reply`` the replies.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import ValidationError

from hub import Payment, Reply, ReplyKind, explain_invalid
from plugins.email.config import ParsingRules
from plugins.email.intent import Intent, read_intent
from plugins.email.message import MailFacts, Unreadable, read_message
from plugins.email.remittance import to_payment

_NO_AMOUNT = "no amount found"


def read_inbound(source: bytes, rules: ParsingRules, *, connector: str,
                 external_id: str) -> Payment | Reply:
    """The payment or the reply the message ``source`` is; :class:`Unreadable` if neither."""
    facts = read_message(source)
    payment: Payment | None = None
    refused: Unreadable | None = None
    try:
        payment = to_payment(facts, rules, source=connector, external_id=external_id)
    except Unreadable as exc:
        refused = exc
    intent = read_intent(source, facts, rules, reads_as_payment=payment is not None)
    if refused is not None and not refused.reason.startswith(_NO_AMOUNT) and intent.kind in (
            ReplyKind.QUESTION, ReplyKind.OTHER):
        raise refused  # it names money the reader cannot take: a person reads it, as before
    if intent.kind is ReplyKind.REMITTANCE:
        if payment is not None:
            return payment
        assert refused is not None
        if not refused.reason.startswith(_NO_AMOUNT):
            raise refused  # an amount a person must decide on: quarantined, as before
        return to_reply(facts, intent, connector=connector, external_id=external_id,
                        needs_person="says it paid, but names no amount: find the payment")
    return to_reply(facts, intent, connector=connector, external_id=external_id,
                    payment=payment)


def to_reply(facts: MailFacts, intent: Intent, *, connector: str, external_id: str,
             payment: Payment | None = None, needs_person: str | None = None) -> Reply:
    """The canonical reply of a message and what it was read to say."""
    amount: Decimal | None = None
    currency: str | None = None
    if intent.kind is ReplyKind.PROMISE and payment is not None:
        amount, currency = payment.amount, payment.currency
    from plugins.email.intent import _received

    try:
        return Reply(
            source=connector, external_id=external_id, kind=intent.kind,
            sender=facts.sender[:500], sender_name=facts.sender_name[:500] or None,
            subject=facts.subject[:1000], received_at=_received(facts.date) if facts.date
            else None, refers_to=intent.refers_to[:20],
            invoice_numbers=[n[:200] for n in intent.invoice_numbers[:50]],
            promised_date=intent.promised_date, promised_amount=amount, currency=currency,
            return_date=intent.return_date,
            bounced_addresses=[a[:500] for a in intent.bounced_addresses[:50]],
            language=intent.language, evidence=_clean(intent.evidence),
            needs_person=needs_person or intent.needs_person, text=intent.own_words,
            raw={**facts.as_raw(), "id": external_id})
    except ValidationError as exc:
        raise Unreadable(f"the reply read from the message is not valid: "
                         f"{explain_invalid(exc)}") from None


def _clean(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", " ", text).strip()[:200] or None
