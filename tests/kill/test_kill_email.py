"""An email sync SIGKILLed at random points (a real process, again and again, against a
real IMAP server, Dovecot) ends with the store an uninterrupted sync gives: nothing
lost, nothing stored twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.cli import exits
from tests.support.hub import write_config
from tests.support.kills import (
    KillPlan,
    another_store,
    assert_same_store,
    migrated,
    reference_run,
    store_state,
)
from tests.support.mail import FOLDER, PASSWORD, Dovecot, needs_dovecot, remittance

pytestmark = [pytest.mark.slow, needs_dovecot]

MESSAGES = 14
UNREADABLE = (5, 11)
SYNCED = (exits.OK, exits.QUARANTINED)
"""A sync's exit codes when it did its work: two messages wait in quarantine."""


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Dovecot]:
    """A mailbox of remittances, only read (the reference and the killed syncs share it)."""
    server = Dovecot().start()
    try:
        server.create()
        for i in range(1, MESSAGES + 1):
            # money that cannot be read (two currencies, no split): quarantined
            text = (f"We paid USD {100 + i}.00 and EUR {80 + i}.00 for the goods."
                    if i in UNREADABLE else
                    f"We paid invoice INV-{1000 + i}, USD {100 + i}.50, wire ref W{i:04d}.")
            server.append(remittance(text, message_id=f"<r{i}@acme.example>",
                                     when=datetime(2026, 11, i, 9, 0, tzinfo=UTC)))
        yield server
    finally:
        server.stop()


def body(server: Dovecot) -> str:
    return f"""
[connectors.mail]
type = "email"

[connectors.mail.imap]
host = "127.0.0.1"
port = {server.port}
tls = "none"
username = "ar@example.com"
password = "env:MAIL_PASSWORD"
folder = "{FOLDER}"
page_size = 2
"""


def test_an_email_sync_killed_anywhere_ends_as_an_uninterrupted_one(
        mailbox: Dovecot, tmp_path: Path, store_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_PASSWORD", PASSWORD)
    plan = KillPlan.from_env()
    with another_store(store_url, tmp_path) as ref_url:
        (tmp_path / "reference").mkdir()
        migrated(ref_url)
        reference = reference_run(write_config(tmp_path / "reference", ref_url, body(mailbox)),
                                  "sync", "--no-progress", ok=SYNCED)
        expected = store_state(ref_url)

    (tmp_path / "killed").mkdir()
    migrated(store_url)
    plan.kill_repeatedly(write_config(tmp_path / "killed", store_url, body(mailbox)),
                         ["sync", "--no-progress"], reference,
                         ["sent", "answered", "committing", "committed"], ok=SYNCED)
    got = store_state(store_url)
    assert len(expected["records"]) + len(expected["quarantine"]) == MESSAGES
    assert len(expected["quarantine"]) == len(UNREADABLE)
    assert_same_store(got, expected, plan)
