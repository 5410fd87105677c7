"""Reading one RFC 822 message: the few headers that matter and its text.

:func:`read_message` turns a message's source into :class:`MailFacts`:
plain-text parts first, HTML stripped to text otherwise, forwarded messages
included, strictly decoded: a part whose bytes do not fit its declared
charset, an unknown charset or a broken MIME structure is
:class:`Unreadable`. :mod:`plugins.email.remittance` then reads a payment in
that text.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import errors as mail_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Any

MAX_TEXT_CHARS = 20_000
"""Text read from one message (remittance wording is short; the rest is quoted mail,
signatures and disclaimers). The same text is kept in the payment's raw payload."""


class Unreadable(Exception):
    """A message that cannot be read as a payment; ``reason`` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MailFacts:
    """What the connector keeps of one message: its payment's ``raw`` payload."""

    message_id: str | None
    sender: str
    sender_name: str
    subject: str
    date: str
    text: str

    def as_raw(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "from": self.sender,
                "from_name": self.sender_name, "subject": self.subject, "date": self.date,
                "text": self.text}

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> MailFacts:
        try:
            return cls(message_id=raw.get("message_id"), sender=str(raw["from"]),
                       sender_name=str(raw.get("from_name") or ""),
                       subject=str(raw.get("subject") or ""), date=str(raw.get("date") or ""),
                       text=str(raw["text"]))
        except KeyError as exc:
            raise Unreadable(f"the stored message has no {exc.args[0]!r}") from None


# ---------------------------------------------------------------------- MIME
_BROKEN_MIME = (
    mail_errors.NoBoundaryInMultipartDefect,
    mail_errors.StartBoundaryNotFoundDefect,
    mail_errors.MultipartInvariantViolationDefect,
    mail_errors.InvalidBase64CharactersDefect,
    mail_errors.InvalidBase64PaddingDefect,
    mail_errors.InvalidBase64LengthDefect,
)


def message_digest(source: bytes) -> str:
    """A stable id for a message without a Message-ID: a digest of its source."""
    return "sha256:" + hashlib.sha256(source).hexdigest()[:40]


def external_id_of(source: bytes) -> str:
    """The id a message's payment is stored under: its Message-ID, else a digest."""
    parsed = BytesParser(policy=policy.compat32).parsebytes(source, headersonly=True)
    found = _message_id(parsed)
    return found or message_digest(source)


def _message_id(msg: Message) -> str | None:
    # The header as it came: the default policy's parser raises on some broken ids (<>).
    value = next((v for k, v in msg.raw_items() if k.lower() == "message-id"), None)
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).strip("<>")
    return text[:400] or None


def read_message(source: bytes) -> MailFacts:
    """The headers and text of one RFC 822 message; :class:`Unreadable` if it cannot be read."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(source)
    except Exception as exc:  # the parser is lenient; anything it raises is a broken message
        raise Unreadable(f"the message cannot be parsed as e-mail: {exc}") from None
    assert isinstance(msg, EmailMessage)
    for part in msg.walk():
        bad = [d for d in part.defects if isinstance(d, _BROKEN_MIME)]
        if bad:
            raise Unreadable(f"the message's MIME structure is broken ({_defect_words(bad[0])}); "
                             "ask the sender for a new copy or read it by hand")
    sender_name, sender = _address(msg, "From")
    if not sender:
        raise Unreadable("the message has no From address")
    text = _text_of(msg)
    if not text.strip():
        raise Unreadable("the message has no text to read a payment from (no text or HTML "
                         "part)")
    return MailFacts(message_id=_message_id(msg), sender=sender, sender_name=sender_name,
                     subject=_header(msg, "Subject"), date=_header(msg, "Date"),
                     text=text[:MAX_TEXT_CHARS])


def _defect_words(defect: Exception) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # an undecodable encoded word: keep what can be kept
        value = None
    return " ".join(str(value).split()) if value is not None else ""


def _address(msg: Message, name: str) -> tuple[str, str]:
    raw = _header(msg, name)
    found = getaddresses([raw]) if raw else []
    display, addr = found[0] if found else ("", "")
    return display.strip(), addr.strip().lower()


def _text_of(msg: EmailMessage) -> str:
    """Plain text of every text part (HTML as text where a part has no plain version)."""
    chunks: list[str] = []
    for part in _text_parts(msg):
        content = _decode(part)
        if part.get_content_subtype() == "html":
            content = _html_to_text(content)
        chunks.append(content)
    return "\n\n".join(chunks).replace("\r\n", "\n").replace("\u00a0", " ")


def _text_parts(msg: Message) -> Iterator[Message]:
    """The readable parts, depth first; of an alternative, the plain one."""
    if msg.get_content_type() == "message/rfc822":  # a forwarded message, attached
        inner = msg.get_payload()
        for item in inner if isinstance(inner, list) else [inner]:
            if isinstance(item, Message):
                yield from _forwarded_header(item)
                yield from _text_parts(item)
        return
    if msg.is_multipart():
        subtype = msg.get_content_subtype()
        parts = [p for p in msg.get_payload() if isinstance(p, Message)]
        if subtype == "alternative":
            plain = [p for p in parts if p.get_content_type() == "text/plain"]
            chosen = plain[:1] or parts[-1:]
            for part in chosen:
                yield from _text_parts(part)
            return
        for part in parts:
            yield from _text_parts(part)
        return
    if (msg.get_content_maintype() == "text" and msg.get_content_subtype() in ("plain", "html")
            and msg.get_content_disposition() != "attachment"):
        yield msg


def _forwarded_header(inner: Message) -> Iterator[Message]:
    """The attached message's From and Subject, as a text part (forward detection reads it)."""
    note = EmailMessage()
    note.set_content(f"---------- Forwarded message ----------\nFrom: {_header(inner, 'From')}\n"
                     f"Subject: {_header(inner, 'Subject')}\n")
    yield note


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset)
    except UnicodeDecodeError as exc:
        if charset in ("us-ascii", "ascii"):  # undeclared 8-bit text: UTF-8 is the norm
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        raise Unreadable(f"a text part is not valid {charset} (byte {data[exc.start]:#04x} at "
                         f"position {exc.start}); the sender's mail program mislabelled "
                         "it") from None
    except UnicodeError as exc:  # codecs such as punycode raise the base class
        raise Unreadable(f"a text part is not valid {charset} ({exc}); the sender's mail "
                         "program mislabelled it") from None
    except (LookupError, ValueError):  # ValueError: a name no codec can have (a NUL in it)
        raise Unreadable(f"a text part declares the unknown charset {charset!r}; ask the "
                         "sender to resend it as UTF-8, or read it by hand") from None
    # Note: the parser already undid base64 / quoted-printable transfer encodings.


class _TextOfHtml(HTMLParser):
    _BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "table", "td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.out.append("\n" if tag != "td" and tag != "th" else "  ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


def _html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return html.unescape("".join(parser.out))
