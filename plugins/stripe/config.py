"""The Stripe connector's TOML section.

::

    [connectors.stripe]
    type = "stripe"
    api_key = "env:STRIPE_API_KEY"       # a secret or restricted key, never in the file
    # api_base = "http://127.0.0.1:12111"  # a local simulator; leave out for Stripe itself
    entities = ["customer", "invoice", "payment", "refund", "credit_note", "payout", "dispute"]
    concurrency = 8                      # requests in flight during a full sync
    # requests_per_second = 20           # default: 80 with a live key, 20 with a test key
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub import SecretRef

Entity = Literal["customer", "invoice", "payment", "refund", "credit_note", "payout",
                 "dispute"]
ALL_ENTITIES: tuple[Entity, ...] = (
    "customer", "invoice", "payment", "refund", "credit_note", "payout", "dispute")

LIVE_REQUESTS_PER_SECOND = 80.0
"""Stripe allows 100 requests a second in live mode; we stay under it."""
TEST_REQUESTS_PER_SECOND = 20.0
"""... and 25 in a sandbox (test keys)."""


class StripeConfig(BaseModel):
    """How to reach one Stripe account and how hard to pull from it."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretRef
    api_base: str | None = None
    """Another address for Stripe's API (a local simulator); default: Stripe itself."""
    entities: list[Entity] = Field(default_factory=lambda: list(ALL_ENTITIES))
    concurrency: int = Field(8, ge=1, le=32)
    """Requests in flight at once while a full sync reads slices of the account's history."""
    page_size: int = Field(500, ge=1, le=10_000)
    """Objects stored per transaction (gathered from Stripe's pages of up to 100)."""
    list_limit: int = Field(100, ge=1, le=100)
    """Objects a list request asks Stripe for (``limit``; 100 is Stripe's most and the
    fewest requests). Smaller only to exercise paging in tests."""
    requests_per_second: float | None = Field(None, gt=0)
    """Our own ceiling, so that rate limits are respected rather than discovered."""
    since: date | None = None
    """A full sync reads objects created on or after this day (default: all of them);
    older objects still come in when an event says they changed."""
    max_attempts: int = Field(6, ge=1, le=20)
    """Tries per request when Stripe answers 429, 5xx or the connection drops."""
    timeout_seconds: float = Field(30.0, gt=0)
    events_retention_days: int = Field(30, ge=1)
    """How long Stripe keeps events; an older cursor means a full sync."""
    days_until_due: int = Field(30, ge=0, le=3650)
    """Days to pay an invoice pushed without a due date (or with one already past,
    which Stripe refuses)."""
    webhook_secret: SecretRef | None = None
    """The endpoint's signing secret (``whsec_...``), for webhook deliveries."""
    webhook_tolerance_seconds: int = Field(300, ge=1)

    def rate(self) -> float:
        """Requests a second this connector allows itself."""
        if self.requests_per_second is not None:
            return self.requests_per_second
        key = self.api_key.get_secret_value()
        return LIVE_REQUESTS_PER_SECOND if "_live_" in key else TEST_REQUESTS_PER_SECOND
