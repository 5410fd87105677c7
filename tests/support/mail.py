"""Real mail servers for the email plugin's tests.

:class:`Dovecot` runs the Dovecot IMAP server (``apt-get install
dovecot-imapd``; ``.ci/run`` installs it) from its own config in a temporary
folder, on a free port of 127.0.0.1, as an unprivileged process: as the user
running the tests, or as ``nobody`` when that user is root (Dovecot refuses to
run its login processes as root). One mailbox, ``ar@example.com``, with a
password; tests put mail in it over IMAP (APPEND), as a mail client would.

:class:`SmtpCapture` runs aiosmtpd, a real SMTP server, on a free port and
keeps every message it accepts; it can be told to answer ``451`` to the
next N messages, to drop the connection right after a message's data, or to
hold the answer to the next message until released (``handler.hold``).
"""

from __future__ import annotations

import contextlib
import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest

from hub.testing import Hold

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists()
                                      else None)
USER = "ar@example.com"
PASSWORD = "imap-Secret-4711"
FOLDER = "Remittances"

needs_dovecot = pytest.mark.skipif(
    DOVECOT is None,
    reason="Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it): "
           "the email connector is tested against a real IMAP server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """A Dovecot IMAP server of the test's own, on 127.0.0.1:``port``."""

    def __init__(self) -> None:
        assert DOVECOT is not None
        self.root = Path(tempfile.mkdtemp(prefix="bh-dovecot-"))
        self.port = free_port()
        as_root = os.geteuid() == 0
        self.user = "nobody" if as_root else getpass.getuser()
        entry = pwd.getpwnam(self.user)
        self.uid = entry.pw_uid
        self.gid = entry.pw_gid
        self.group = grp.getgrgid(self.gid).gr_name
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir()
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (self.root / "dovecot.conf").write_text(_CONFIG.format(
            root=self.root, user=self.user, group=self.group, uid=self.uid, gid=self.gid,
            port=self.port))
        if as_root:
            self.root.chmod(0o755)
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, self.uid, self.gid)
        self.process: subprocess.Popen[bytes] | None = None
        self._as_root = as_root

    def start(self) -> Dovecot:
        extra: dict[str, Any] = {"user": self.uid, "group": self.gid} if self._as_root else {}
        self.process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **extra)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------- a mail client
    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        c.login(USER, PASSWORD)
        try:
            yield c
        finally:
            c.logout()

    def create(self, folder: str = FOLDER) -> None:
        with self.client() as c:
            c.create(f'"{folder}"')

    def append(self, message: bytes | EmailMessage, folder: str = FOLDER) -> int:
        """Put ``message`` in ``folder``; its UID."""
        data = message if isinstance(message, bytes) else message.as_bytes()
        with self.client() as c:
            typ, answer = c.append(f'"{folder}"', "", None, data)
            assert typ == "OK", answer
            text = answer[0].decode() if isinstance(answer[0], bytes) else str(answer[0])
        # [APPENDUID <uidvalidity> <uid>]
        return int(text.split("APPENDUID", 1)[1].split("]")[0].split()[1])

    def recreate(self, folder: str = FOLDER) -> None:
        """Delete and make ``folder`` again (a new UIDVALIDITY), keeping its messages."""
        with self.client() as c:
            c.select(f'"{folder}"', readonly=True)
            _typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
            kept = [bytes(item[1]) for item in data if isinstance(item, tuple)]
            c.close()
            c.delete(f'"{folder}"')
            time.sleep(1.1)  # UIDVALIDITY is the creation second: make sure it moves
            c.create(f'"{folder}"')
            for message in kept:
                c.append(f'"{folder}"', "", None, message)

    def expunge(self, uid: int, folder: str = FOLDER) -> None:
        with self.client() as c:
            c.select(f'"{folder}"')
            c.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)")
            c.expunge()

    def flags(self, folder: str = FOLDER) -> list[str]:
        with self.client() as c:
            c.select(f'"{folder}"', readonly=True)
            _typ, data = c.fetch("1:*", "(FLAGS)")
            return [d.decode() for d in data if isinstance(d, bytes)]


def remittance(body: str, *, subject: str = "Remittance advice",
               sender: str = "Acme Accounts Payable <ap@acme.example>",
               message_id: str | None = None, when: datetime | None = None,
               charset: str = "utf-8") -> EmailMessage:
    """A plain-text remittance e-mail, as a payer's mail program would send it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "ar@northwind.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="acme.example")
    msg.set_content(body, charset=charset)
    return msg


# ---------------------------------------------------------------------- SMTP
@dataclass
class _Handler:
    received: list[Any] = field(default_factory=list)
    refuse_next: int = 0
    refuse_with: str = "451 4.3.0 Mailbox busy, try again later"
    drop_after_data: int = 0
    hold: Hold | None = None
    """Stop after the next message is kept, before the answer goes, until released (the
    server's loop waits: a test kills the client meanwhile)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return self.refuse_with
        self.received.append(envelope)
        if self.hold is not None:
            hold, self.hold = self.hold, None
            hold.pause()
        if self.drop_after_data > 0:  # accepted, but the answer never reaches the client
            self.drop_after_data -= 1
            server.transport.close()
        return "250 2.0.0 queued"


class SmtpCapture:
    """aiosmtpd on 127.0.0.1:``port``; ``messages`` is every message it accepted."""

    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def check(server: Any, session: Any, envelope: Any, mechanism: str,
                  data: Any) -> AuthResult:
            ok = (login is not None and isinstance(data, LoginPassword)
                  and (data.login.decode(), data.password.decode()) == login)
            return AuthResult(success=ok, handled=False)  # False: answer 535 itself

        self.handler = _Handler()
        self.port = free_port()
        # AUTH over plain TCP, on 127.0.0.1 only (aiosmtpd warns about it).
        extra: dict[str, Any] = ({"authenticator": check, "auth_require_tls": False,
                                  "auth_required": True} if login else {})
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **extra)

    def start(self) -> SmtpCapture:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Any]:
        return self.handler.received


__all__ = ["FOLDER", "PASSWORD", "USER", "Dovecot", "SmtpCapture", "make_msgid", "needs_dovecot",
           "remittance"]
