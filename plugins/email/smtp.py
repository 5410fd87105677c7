"""Handing one reminder to an SMTP server, with retries where a retry is safe.

SMTP has no idempotency key: a message the server accepted twice is
delivered twice. So a try is repeated only when the server certainly did
not take the message: it answered 4xx (to MAIL, RCPT, DATA or the end of the
data), or the connection failed before the message's data was sent. When the
connection fails after the data was sent and before the server answered, the
message may have been accepted: that is :class:`~hub.errors.DeliveryUnknown`,
never retried here. A 5xx answer is :class:`~hub.errors.MessageRefused`.

Retries (tenacity) wait ``retry_wait_seconds``, doubling up to a minute, for
``max_attempts`` tries in all; each try after a failure opens a new
connection. The ``Message-ID`` the caller gives is kept on every try.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from hub import DeliveryUnknown, FatalError, MessageRefused, OutgoingMail, TransientError, redact
from plugins.email.config import SmtpSettings

log = logging.getLogger(__name__)


class _TryAgain(Exception):
    """The server certainly did not take the message; another try is safe."""


def build_message(mail: OutgoingMail, now: datetime | None = None) -> EmailMessage:
    """The RFC 5322 message for ``mail`` (plain text, UTF-8; ``multipart/mixed`` with its
    attachments, when it has any)."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = formataddr((mail.from_name or "", mail.from_address))
    msg["To"] = mail.to
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = mail.message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a reminder
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.body, charset="utf-8")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=attachment.filename)
    return msg


def _wire(msg: EmailMessage) -> bytes:
    """The message as DATA sends it: CRLF lines, leading dots doubled, ending CRLF.CRLF."""
    data = msg.as_bytes()
    data = re.sub(rb"\r?\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _said(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return redact(f"{code} {' '.join(words.split())}")[:300]


class SmtpMailer:
    """Sends :class:`OutgoingMail` through one SMTP server; one connection, reused."""

    def __init__(self, settings: SmtpSettings, connector: str) -> None:
        self.settings = settings
        self.connector = connector
        self._client: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port_or_default()}"

    def check(self) -> None:
        """Connect, greet (EHLO, STARTTLS as configured) and sign in, sending nothing.
        A refusal raises FatalError; a server that cannot be reached, TransientError."""
        try:
            self._connection()
        except _TryAgain as exc:
            raise TransientError(str(exc), connector=self.connector,
                                 hint="check smtp.host, smtp.port and smtp.tls") from None

    def send_mail(self, mail: OutgoingMail) -> str:
        s = self.settings
        retrying = Retrying(
            stop=stop_after_attempt(s.max_attempts),
            wait=wait_exponential(multiplier=s.retry_wait_seconds, max=60),
            retry=retry_if_exception_type(_TryAgain), reraise=False)
        try:
            for attempt in retrying:
                with attempt:
                    return self._try(mail)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise TransientError(
                f"the SMTP server {self.where} did not take the message to {mail.to} in "
                f"{s.max_attempts} tries; the last: {last}", connector=self.connector) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _try(self, mail: OutgoingMail) -> str:
        for what, address in (("sender", mail.from_address), ("recipient", mail.to)):
            if not address.isascii():  # smtplib speaks ASCII only (no SMTPUTF8)
                raise MessageRefused(
                    f"the {what} address {address!r} of the reminder to {mail.to} is not "
                    "ASCII, and this mailer cannot send to internationalised addresses: "
                    "give the customer an ASCII address, or write to them by hand",
                    connector=self.connector)
        client = self._connection()
        try:
            code, text = client.mail(mail.from_address)
            self._check(code, text, "the sender", mail)
            code, text = client.rcpt(mail.to)
            self._check(code, text, f"the recipient {mail.to}", mail, ok=(250, 251))
            code, text = client.docmd("DATA")
            self._check(code, text, "the message", mail, ok=(354,))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise _TryAgain(f"the connection failed before the message was sent: "
                            f"{redact(str(exc))}") from None
        try:  # from here on, a failure leaves it unknown whether the server took it
            client.send(_wire(build_message(mail)))
            code, text = client.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise DeliveryUnknown(
                f"the connection to {self.where} failed after the message to {mail.to} was "
                f"handed over and before the server answered ({redact(str(exc))}): it may have "
                "been accepted", connector=self.connector) from None
        self._check(code, text, "the message", mail)
        log.info("[%s] %s accepted %s for %s: %s", self.connector, self.where, mail.message_id,
                 mail.to, _said(code, text))
        return _said(code, text)

    def _check(self, code: int, text: bytes, what: str, mail: OutgoingMail,
               ok: tuple[int, ...] = (250,)) -> None:
        if code in ok:
            return
        said = _said(code, text)
        if 400 <= code < 500 or code == -1:
            self._reset()
            raise _TryAgain(f"{said} (for {what})")
        self._reset()
        raise MessageRefused(f"the SMTP server {self.where} refused {what} of the reminder to "
                             f"{mail.to}: {said}", connector=self.connector)

    def _reset(self) -> None:
        if self._client is not None:
            try:
                self._client.rset()
            except (smtplib.SMTPException, OSError):
                self.close()

    def _connection(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file)
        try:
            client: smtplib.SMTP
            if s.tls == "ssl":
                client = smtplib.SMTP_SSL(s.host, s.port_or_default(), timeout=s.timeout_seconds,
                                          context=context)
            else:
                client = smtplib.SMTP(s.host, s.port_or_default(), timeout=s.timeout_seconds)
            client.ehlo()
            if s.tls == "starttls":
                client.starttls(context=context)
                client.ehlo()
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise _TryAgain(_said(exc.smtp_code, exc.smtp_error)) from None
            raise FatalError(f"the SMTP server {self.where} refused the connection: "
                             f"{_said(exc.smtp_code, exc.smtp_error)}",
                             connector=self.connector) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise _TryAgain(f"cannot reach the SMTP server {self.where}: "
                            f"{redact(str(exc))}") from None
        if s.username is not None and s.password is not None:
            try:
                client.login(s.username, s.password.get_secret_value())
            except smtplib.SMTPAuthenticationError as exc:
                client.close()
                raise FatalError(
                    f"the SMTP server {self.where} refused the login of {s.username!r}: "
                    f"{_said(exc.smtp_code, exc.smtp_error)}", connector=self.connector,
                    hint="check smtp.username and the password in the environment variable "
                         "smtp.password names") from None
            except (smtplib.SMTPException, OSError) as exc:
                client.close()
                raise _TryAgain(f"signing in to {self.where} failed: {redact(str(exc))}") \
                    from None
        self._client = client
        return client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
