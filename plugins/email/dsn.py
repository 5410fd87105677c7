"""Delivery failure reports: which addresses bounced, and which message came back.

A standard report (RFC 3464: ``multipart/report; report-type=delivery-status``)
is read with the e-mail package: each per-recipient block of its
``message/delivery-status`` part names a ``Final-Recipient`` and an
``Action``; only ``failed`` ones bounced (``delayed`` is a warning, the
server keeps trying). The returned message (``message/rfc822`` or
``text/rfc822-headers``) gives the Message-ID of the reminder that bounced.
Reports in no standard form (from a ``MAILER-DAEMON`` or ``postmaster``, or
with a subject such as "Undeliverable", "Unzustellbar", "Non remis") are read
from their text: the addresses it names, other than the reporting server's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

from plugins.email import intent_words

_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Bounce:
    """What a delivery report says."""

    addresses: list[str]
    """The recipients that failed for good."""
    returned_message_id: str | None = None
    delayed_only: bool = False
    """Only ``delayed`` recipients: the server is still trying; nothing bounced yet."""
    statuses: list[str] = field(default_factory=list)


def read_bounce(msg: Message, sender: str, subject: str, text: str) -> Bounce | None:
    """The report ``msg`` is, or None when it is not a delivery report."""
    if msg.get_content_type() == "multipart/report" and (
            str(msg.get_param("report-type") or "")).lower() == "delivery-status":
        return _standard(msg)
    if intent_words.BOUNCER.match(sender) or intent_words.BOUNCE_SUBJECT.search(subject):
        found = [a.lower() for a in _ADDRESS.findall(text)]
        own = sender.lower()
        addresses = list(dict.fromkeys(a for a in found if a != own and not
                                       intent_words.BOUNCER.match(a)))
        return Bounce(addresses=addresses, statuses=re.findall(r"\b5\.\d{1,3}\.\d{1,3}\b", text))
    return None


def _standard(msg: Message) -> Bounce:
    failed: list[str] = []
    delayed: list[str] = []
    statuses: list[str] = []
    returned: str | None = None
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in _blocks(part):
                recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient")
                                or "")
                address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                action = str(block.get("Action") or "").strip().lower()
                if not address:
                    continue
                if action == "failed":
                    failed.append(address)
                    statuses.append(str(block.get("Status") or "").strip())
                elif action == "delayed":
                    delayed.append(address)
        elif kind in ("message/rfc822", "text/rfc822-headers") and returned is None:
            returned = _returned_id(part)
    return Bounce(addresses=list(dict.fromkeys(failed)), returned_message_id=returned,
                  delayed_only=not failed and bool(delayed), statuses=statuses)


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [HeaderParser().parsestr(chunk) for chunk in re.split(r"\r?\n\r?\n", text)
            if chunk.strip()]


def _returned_id(part: Message) -> str | None:
    payload = part.get_payload()
    inner: Message | None = None
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner = payload[0]
    elif isinstance(payload, str):
        inner = HeaderParser().parsestr(payload)
    if inner is None:
        return None
    value = inner.get("Message-ID")
    return str(value).strip().strip("<>") or None if value else None
