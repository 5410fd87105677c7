"""Mail the hub sends (payment reminders) and the plugins that send it.

A connector whose system can deliver mail implements :class:`Mailer` (the
email plugin does, over SMTP); the hub finds it by the connector instance
named in ``[collections] mailer`` and checks the protocol at run time, so
the core never imports a plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class MailAttachment:
    """A file sent with a message (an invoice as a PDF)."""

    filename: str
    content_type: str
    """``type/subtype``: ``application/pdf``."""
    data: bytes


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """One plain-text message, complete: the mailer adds nothing but transport headers.

    ``message_id`` (``<...@...>``) is derived from the reminder's (or the invoice
    send's) idempotency key, so every attempt at one message carries the same one.
    """

    message_id: str
    from_address: str
    to: str
    subject: str
    body: str
    from_name: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[MailAttachment, ...] = ()
    """Files sent with the plain-text body (``multipart/mixed``)."""


@runtime_checkable
class Mailer(Protocol):
    """Something that hands a message to a mail server."""

    def send_mail(self, mail: OutgoingMail) -> str:
        """Deliver ``mail``; return the server's answer (``250 2.0.0 queued as ...``).

        Retry what is certain not to have been accepted (4xx answers, a
        connection lost before the message was handed over). Raise
        :class:`hub.errors.MessageRefused` when the server refuses the
        message for good, :class:`hub.errors.DeliveryUnknown` when the
        connection failed after the message was handed over (it may have been
        accepted), :class:`hub.errors.TransientError` when the tries ran out
        without the message being accepted, and :class:`hub.errors.FatalError`
        when no message can go (credentials refused).
        """
        ...
