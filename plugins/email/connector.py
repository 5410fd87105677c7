"""The email connector: payments from remittance advice in one IMAP folder.

Incremental by IMAP UID. The cursor holds the folder's UIDVALIDITY and the
highest UID read; when the server reports another UIDVALIDITY (the folder
was recreated, or the server rebuilt its index) the old UIDs mean nothing
and the whole folder is read again, which changes nothing in the store:
records are keyed by Message-ID and unchanged ones are recognised by their
content hash. Messages are fetched with ``BODY.PEEK[]`` from a folder opened
read-only, so the mailbox is never changed unless ``imap.mark_seen`` is set.

Each message becomes one payment (external id: its Message-ID, or a digest
of its source when it has none) or one rejection carrying its RFC 822
source, so that a coordinator sees exactly what arrived; a source over
:data:`QUARANTINE_FULL_BYTES` is kept as an excerpt with its size and
SHA-256. A message too large to download (``imap.max_message_bytes``) is
quarantined with its headers. Mail from outside ``imap.trusted_senders`` is
skipped and logged.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any, cast

from hub import (
    CanonicalRecord,
    CheckResult,
    Connector,
    ConnectorContext,
    FatalError,
    OutgoingMail,
    Page,
    Payment,
    RecordRejected,
    Reply,
)
from plugins.email.config import EmailConfig
from plugins.email.cursor import FolderCursor
from plugins.email.imap import Folder, open_folder
from plugins.email.inbound import read_inbound
from plugins.email.message import MailFacts, Unreadable, external_id_of
from plugins.email.remittance import to_payment
from plugins.email.smtp import SmtpMailer

log = logging.getLogger(__name__)

ENTITY = "payment"
REPLY = "reply"
"""Every other message: what a customer answered (:mod:`plugins.email.inbound`). Each
message is one payment, one reply or one quarantined row, never two."""
QUARANTINE_FULL_BYTES = 256 * 1024
"""Sources up to this size are quarantined whole; larger ones as an excerpt and a digest."""
EXCERPT_BYTES = 64 * 1024


def quarantine_raw(source: bytes) -> dict[str, Any]:
    """What the quarantine keeps of a message: its source as text, or an excerpt."""
    if len(source) > QUARANTINE_FULL_BYTES:
        return {"rfc822_excerpt": source[:EXCERPT_BYTES].decode("utf-8", "replace"),
                "size": len(source), "sha256": hashlib.sha256(source).hexdigest()}
    try:
        return {"rfc822": source.decode("utf-8")}
    except UnicodeDecodeError:  # 8-bit text in another charset: kept byte for byte
        return {"rfc822_base64": base64.b64encode(source).decode("ascii")}


def source_of(raw: Mapping[str, Any]) -> bytes | None:
    """The RFC 822 source a quarantined payload kept whole, if it did."""
    if isinstance(raw.get("rfc822"), str):
        return cast(str, raw["rfc822"]).encode("utf-8")
    if isinstance(raw.get("rfc822_base64"), str):
        return base64.b64decode(raw["rfc822_base64"])
    return None


class EmailConnector(Connector):
    """Reads remittance advice as payments; sends reminders (see :meth:`send_mail`)."""

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        if not isinstance(context.config, EmailConfig):
            raise TypeError("EmailConnector needs an EmailConfig")
        self.config: EmailConfig = context.config
        self._mailer: SmtpMailer | None = None

    def entities(self) -> Sequence[str]:
        return [ENTITY, REPLY]

    # ------------------------------------------------------------------ pull
    def pull(self, entity: str, cursor: str | None) -> Iterator[Page]:
        if entity not in (ENTITY, REPLY):
            raise ValueError(f"the email connector reads payments and replies, not {entity!r}")
        imap = self.config.imap
        with open_folder(imap, self.name, writable=imap.mark_seen) as folder:
            known = FolderCursor.load(cursor)
            last = 0
            if known is not None:
                if known.uidvalidity == folder.uidvalidity:
                    last = known.uid
                else:
                    log.warning("[%s] folder %r has a new UIDVALIDITY (%s, was %s): its "
                                "messages were renumbered, reading it all again", self.name,
                                imap.folder, folder.uidvalidity, known.uidvalidity)
            uids = folder.uids_after(last)
            if not uids:
                yield Page(records=[], cursor=FolderCursor(uidvalidity=folder.uidvalidity,
                                                           uid=last))
                return
            for start in range(0, len(uids), imap.page_size):
                chunk = uids[start:start + imap.page_size]
                page = self._page(folder, chunk, entity)
                yield page

    def _page(self, folder: Folder, uids: list[int], entity: str = ENTITY) -> Page:
        imap = self.config.imap
        sizes = folder.sizes(uids)
        small = [u for u in uids if sizes.get(u, 0) <= imap.max_message_bytes]
        large = [u for u in uids if u not in small]
        sources = folder.fetch(small, part="BODY[]" if imap.mark_seen else "BODY.PEEK[]")
        headers = folder.fetch(large, part="BODY.PEEK[HEADER]")
        by_id: dict[str, Payment | Reply] = {}
        rejected: list[RecordRejected] = []
        locations: dict[str, str] = {}
        for uid in uids:
            location = f"{imap.folder} uid {uid}"
            if uid in large:
                if entity != ENTITY:  # quarantined once, by the payment entity
                    continue
                head = headers.get(uid, b"")
                rejected.append(RecordRejected(
                    f"the message is {sizes[uid] / 1e6:.1f} MB, over imap.max_message_bytes "
                    f"({imap.max_message_bytes / 1e6:.1f} MB): not downloaded; read it in a "
                    "mail program", raw={"headers": head.decode("utf-8", "replace"),
                                         "size": sizes[uid]},
                    location=location, entity=ENTITY, external_id=external_id_of(head)))
                continue
            source = sources.get(uid)
            if source is None:  # expunged between SEARCH and FETCH
                continue
            if not self._trusted(source):
                log.info("[%s] %s: skipped, the sender is not in imap.trusted_senders",
                         self.name, location)
                continue
            try:
                record = self._read(source)
            except Unreadable as exc:
                if entity != ENTITY:
                    continue
                rejected.append(RecordRejected(
                    exc.reason, raw=quarantine_raw(source), location=location, entity=ENTITY,
                    external_id=external_id_of(source)))
                continue
            except Exception as exc:  # the e-mail package trips on some mail: it is data
                if entity != ENTITY:
                    continue
                log.warning("[%s] %s: reading the message failed", self.name, location,
                            exc_info=True)
                rejected.append(RecordRejected(
                    f"the message could not be read ({type(exc).__name__}: {exc}); read it in "
                    "a mail program, and report the error if the message looks sound",
                    raw=quarantine_raw(source), location=location, entity=ENTITY,
                    external_id=external_id_of(source)))
                continue
            if record.entity != entity:
                continue
            by_id[record.external_id] = record  # a later copy of a message wins
            locations[record.external_id] = location
        return Page(records=list(by_id.values()), rejected=rejected,
                    cursor=FolderCursor(uidvalidity=folder.uidvalidity, uid=uids[-1]),
                    locations=locations)

    def _trusted(self, source: bytes) -> bool:
        trusted = [t.strip().lower() for t in self.config.imap.trusted_senders if t.strip()]
        if not trusted:
            return True
        head = BytesParser(policy=compat32).parsebytes(source, headersonly=True)
        found = getaddresses([str(head.get("From", ""))])
        sender = found[0][1].strip().lower() if found else ""
        if not sender:
            return False
        domain = "@" + sender.rsplit("@", 1)[-1]
        return any(sender == t or (t.startswith("@") and domain == t) for t in trusted)

    def _read(self, source: bytes) -> Payment | Reply:
        return read_inbound(source, self.config.parsing, connector=self.name,
                            external_id=external_id_of(source))

    def parse_raw(self, entity: str, raw: Mapping[str, Any], location: str = "") -> CanonicalRecord:
        """Read a quarantined message (its source) or a stored payment's text again."""
        try:
            source = source_of(raw)
            if source is not None:
                return self._read(source)
            if "text" in raw and "id" in raw and entity == ENTITY:
                facts = MailFacts.from_raw(dict(raw))
                return to_payment(facts, self.config.parsing, source=self.name,
                                  external_id=str(raw["id"]))
        except Unreadable as exc:
            raise RecordRejected(exc.reason, raw=dict(raw), location=location,
                                 entity=ENTITY) from None
        raise RecordRejected("only an excerpt of this message was kept (it was too large); "
                             "read it in a mail program and key the payment in by hand",
                             raw=dict(raw), location=location, entity=ENTITY)

    # ------------------------------------------------------------------ check
    def check(self) -> CheckResult:
        """Sign in over IMAP and open the folder; with an ``smtp`` section, greet the SMTP
        server (EHLO, STARTTLS as configured) and sign in to it too."""
        imap = self.config.imap
        with open_folder(imap, self.name):
            pass
        done = f"signed in to {imap.host} and opened {imap.folder!r}"
        if self.config.smtp is not None:
            mailer = SmtpMailer(self.config.smtp, self.name)
            try:
                mailer.check()
            finally:
                mailer.close()
            done += f"; SMTP {mailer.where} accepted the greeting" + (
                " and the login" if self.config.smtp.username else "")
        return CheckResult.passed(done)

    # ------------------------------------------------------------------ send
    def send_mail(self, mail: OutgoingMail) -> str:
        """Hand ``mail`` to the ``smtp`` server (:class:`hub.contract.mail.Mailer`); its answer.

        See :mod:`plugins.email.smtp` for what is retried and what is not.
        """
        if self.config.smtp is None:
            raise FatalError(f"connector {self.name!r} has no smtp section, so it cannot send "
                             "reminders", connector=self.name,
                             hint=f"add [connectors.{self.name}.smtp] with the server's host, "
                                  "port, tls, username and password")
        if self._mailer is None:
            self._mailer = SmtpMailer(self.config.smtp, self.name)
        return self._mailer.send_mail(mail)

    def close(self) -> None:
        if self._mailer is not None:
            self._mailer.close()
            self._mailer = None
