"""A small, read-mostly IMAP session over :mod:`imaplib`: one folder, by UID.

Errors become the hub's: a refused login or a missing folder is a
:class:`~hub.errors.FatalError` (retrying will not help), a dropped or
refused connection a :class:`~hub.errors.TransientError`. Neither message
carries the password: imaplib never puts it in one, and every text is passed
through :func:`hub.secrets.redact` besides.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from hub import FatalError, TransientError, redact
from plugins.email.config import ImapSettings

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: object) -> str:
    if isinstance(data, list):
        return " ".join(_text(d) for d in data if d is not None)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


@dataclass(slots=True)
class Folder:
    """One selected folder: its UIDVALIDITY and the operations the connector needs."""

    client: imaplib.IMAP4
    name: str
    uidvalidity: int
    connector: str

    def uids_after(self, last: int) -> list[int]:
        """UIDs greater than ``last``, ascending (``n:*`` also names the highest UID
        when it is below ``n``: that one is left out)."""
        typ, data = self.client.uid("SEARCH", f"UID {last + 1}:*")
        self._ok(typ, data, "search the folder")
        found = sorted({int(x) for x in _text(data).split() if x.isdigit()})
        return [u for u in found if u > last]

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        typ, data = self.client.uid("FETCH", _set(uids), "(UID RFC822.SIZE)")
        self._ok(typ, data, "read message sizes")
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _UID.search(line), _SIZE.search(line)
                if uid and size:
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def fetch(self, uids: Sequence[int], *, part: str = "BODY.PEEK[]") -> dict[int, bytes]:
        """The source (or ``part``) of each message, by UID. ``BODY[]`` marks them \\Seen."""
        if not uids:
            return {}
        typ, data = self.client.uid("FETCH", _set(uids), f"(UID {part})")
        self._ok(typ, data, "fetch messages")
        found: dict[int, bytes] = {}
        for i, item in enumerate(data):
            if isinstance(item, tuple) and len(item) == 2:
                # The server may name the UID after the literal: ``(BODY[] {n} ... UID 7)``.
                after = data[i + 1] if i + 1 < len(data) else b""
                uid = _UID.search(item[0]) or (
                    _UID.search(after) if isinstance(after, bytes) else None)
                if uid:
                    found[int(uid.group(1))] = bytes(item[1])
        return found

    def _ok(self, typ: str, data: object, doing: str) -> None:
        if typ != "OK":
            raise TransientError(f"the IMAP server could not {doing} in {self.name!r}: "
                                 f"{redact(_text(data))[:300]}", connector=self.connector)


def _set(uids: Sequence[int]) -> str:
    return ",".join(str(u) for u in uids)


def _connect(settings: ImapSettings) -> imaplib.IMAP4:
    host, port, timeout = settings.host, settings.port_or_default(), settings.timeout_seconds
    context = ssl.create_default_context(cafile=settings.ca_file)
    if settings.tls == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
    client = imaplib.IMAP4(host, port, timeout=timeout)
    if settings.tls == "starttls":
        client.starttls(ssl_context=context)
    return client


@contextmanager
def open_folder(settings: ImapSettings, connector: str, *, writable: bool = False
                ) -> Iterator[Folder]:
    """Sign in and select the configured folder (read-only unless ``writable``)."""
    where = f"{settings.host}:{settings.port_or_default()}"
    try:
        client = _connect(settings)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise TransientError(f"cannot reach the IMAP server {where}: {redact(str(exc))}",
                             connector=connector) from None
    try:
        try:
            client.login(settings.username, settings.password.get_secret_value())
        except imaplib.IMAP4.abort as exc:
            raise TransientError(f"the IMAP server {where} dropped the connection while "
                                 f"signing in: {redact(str(exc))}", connector=connector) from None
        except imaplib.IMAP4.error as exc:
            raise FatalError(
                f"the IMAP server {where} refused the login of {settings.username!r}: "
                f"{redact(str(exc))[:300]}", connector=connector,
                hint="check imap.username and the password in the environment variable "
                     "imap.password names") from None
        typ, data = client.select(_quoted(settings.folder), readonly=not writable)
        if typ != "OK":
            raise FatalError(f"cannot open the folder {settings.folder!r} on {where}: "
                             f"{redact(_text(data))[:300]}", connector=connector,
                             hint="check imap.folder (the name as the server shows it)")
        validity = _text(client.response("UIDVALIDITY")[1])
        digits = re.findall(r"\d+", validity)
        if not digits:
            raise TransientError(f"the IMAP server {where} gave no UIDVALIDITY for "
                                 f"{settings.folder!r}", connector=connector)
        yield Folder(client, settings.folder, int(digits[-1]), connector)
    except (imaplib.IMAP4.abort, OSError) as exc:
        raise TransientError(f"the connection to the IMAP server {where} failed: "
                             f"{redact(str(exc))}", connector=connector) from None
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            client.logout()
