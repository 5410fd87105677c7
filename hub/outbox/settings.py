"""The ``[push]`` section of the config: how the outbox sends, and what is mirrored where.

::

    [push]
    batch_size = 25                    # changes per call of a connector's push
    max_attempts = 8                   # tries before a change is given up (failed)
    resend_window_hours = 23           # see below
    scheduled = "approved"             # what a scheduled push sends: "approved" or "all"

    [[push.mirrors]]                   # keep these records of one system in another
    from = "books"                     # the source, as records in the store
    to = "stripe"                      # a connector that pushes
    entities = ["customer", "invoice"]
    mark_paid = true                   # paid in the source: mark it paid out of band
    since = 2026-01-01                 # leave invoices issued before this day alone

A change tried and left without an answer (a timeout, a lost response) may
have been carried out: sent again with the same idempotency key, the
system answers with what it did the first time. Stripe forgets keys after
24 hours, so a change first tried longer ago than ``resend_window_hours`` is
not sent again by itself: it is marked failed with what to check.

``scheduled`` says what a push job of ``[schedule]`` (``task = "push"``) sends:
``"approved"`` (the default), only the changes a person approved with
``billing-hub push approve``; ``"all"``, every pending change, approved or not.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.config import Section


class MirrorSettings(BaseModel):
    """Records of one system that are kept, created and updated, in another."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    entities: list[str] = Field(default_factory=lambda: ["customer", "invoice"])
    mark_paid: bool = True
    since: date | None = None


class PushSettings(Section):
    """How the outbox sends changes."""

    table = "push"

    batch_size: int = Field(default=25, ge=1, le=500)
    max_attempts: int = Field(default=8, ge=1, le=100)
    resend_window_hours: float = Field(default=23, gt=0)
    scheduled: Literal["approved", "all"] = "approved"
    """What a scheduled push sends: only approved changes, or every pending one."""
    mirrors: list[MirrorSettings] = Field(default_factory=list)
