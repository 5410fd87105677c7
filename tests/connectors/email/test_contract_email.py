"""The email connector against the connector contract (hub.testing).

The fake system is a real one: a Dovecot IMAP server of the check's own
(tests/support/mail.py), whose folder the harness fills over IMAP. A "change" is
what a mail program does when a person corrects a message in the folder: the
old copy is expunged and the corrected one appended with the same Message-ID
(a new, higher UID), which an incremental pull must pick up.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from hub.testing import ConnectorContract, ConnectorHarness
from tests.support.mail import FOLDER, PASSWORD, USER, Dovecot, needs_dovecot, remittance

pytestmark = needs_dovecot


def _advice(i: int, amount: str) -> Any:
    return remittance(f"We paid invoice {2000 + i}: USD {amount}, wire ref W{i:05}, on "
                      f"2026-11-{i % 28 + 1:02}.", message_id=f"<pay-{i}@contract.example>")


class EmailHarness(ConnectorHarness):
    """A Dovecot mailbox with one folder of remittance advice."""

    connector_type = "email"
    plugin_name = "email"
    entities = ("payment",)
    """Replies are read by the same paging, cursor and folder code as payments (one
    ``_page`` for both entities); unreadable mail is quarantined once, by ``payment``,
    so ``reply`` has no malformed payload of its own. tests/collect/test_replies.py
    pulls replies end to end."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.server = Dovecot().start()
        self.server.create()
        self.uids: dict[str, int] = {}

    def config(self) -> Mapping[str, Any]:
        return {"imap": {"host": "127.0.0.1", "port": self.server.port, "tls": "none",
                         "username": USER, "password": SecretStr(PASSWORD),
                         "folder": FOLDER, "page_size": self.page_size}}

    def seed(self, entity: str, count: int) -> list[str]:
        ids = []
        for i in range(count):
            external = f"pay-{i}@contract.example"
            self.uids[external] = self.server.append(_advice(i, f"{100 + i}.00"))
            ids.append(external)
        return ids

    def add_malformed(self, entity: str) -> None:
        self.server.append(  # a multipart message without its boundary: broken MIME
            b"From: Acme AP <ap@acme.example>\r\nTo: ar@northwind.example\r\n"
            b"Subject: remittance\r\nMessage-ID: <no-boundary@contract.example>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
            b"We paid USD 10.00 for invoice 2999.\r\n")

    def change(self, entity: str) -> str:
        external = next(iter(self.uids))
        self.server.expunge(self.uids[external])
        self.uids[external] = self.server.append(_advice(0, "999.99"))
        return external

    def close(self) -> None:
        self.server.stop()


class TestEmailContract(ConnectorContract):
    harness = EmailHarness
