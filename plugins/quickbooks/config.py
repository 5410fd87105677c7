"""The QuickBooks Online connector's TOML section.

::

    [connectors.books]
    type = "quickbooks"
    realm_id = "9130357766900456"            # the company id QuickBooks shows
    client_id = "env:QBO_CLIENT_ID"          # the app's keys, from developer.intuit.com
    client_secret = "env:QBO_CLIENT_SECRET"
    refresh_token = "env:QBO_REFRESH_TOKEN"  # from connecting the company (first run only)
    # environment = "sandbox"                # or "production" (default)
    entities = ["customer", "invoice", "payment", "credit_note"]

QuickBooks replaces the refresh token on every refresh and soon refuses the
old one, so the hub keeps the newest, sealed in the store (which needs
``[store] secret_key``); ``refresh_token`` is only read while the store holds
none for this connector, or when it is set to a new token (the company was
connected again).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub import SecretRef

Entity = Literal["customer", "invoice", "payment", "credit_note"]
ALL_ENTITIES: tuple[Entity, ...] = ("customer", "invoice", "payment", "credit_note")

QBO_NAMES: dict[str, str] = {
    "customer": "Customer", "invoice": "Invoice", "payment": "Payment",
    "credit_note": "CreditMemo",
}
"""QuickBooks' name of each canonical entity the connector reads."""


class QuickBooksConfig(BaseModel):
    """How to reach one QuickBooks Online company and how hard to pull from it."""

    model_config = ConfigDict(extra="forbid")

    realm_id: str
    client_id: SecretRef
    client_secret: SecretRef
    refresh_token: SecretRef
    environment: str = "production"
    """``production``, ``sandbox``, or the address of an OpenID discovery document
    (a local simulator)."""
    api_url: str | None = None
    """Another address for the accounting API, up to ``/v3`` (a local simulator)."""
    redirect_uri: str = "https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl"
    minorversion: int = Field(75, ge=75)
    home_currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    """The company's home currency, for objects that carry no ``CurrencyRef``."""
    entities: list[Entity] = Field(default_factory=lambda: list(ALL_ENTITIES))
    page_size: int = Field(1000, ge=1, le=1000)
    """Objects a query asks for (``MAXRESULTS``; 1000 is QuickBooks' most)."""
    requests_per_second: float = Field(8.0, gt=0, le=10)
    """Our ceiling; QuickBooks allows 10 a second and 500 a minute per company."""
    requests_per_minute: int = Field(450, ge=1, le=500)
    max_attempts: int = Field(5, ge=1, le=20)
    """Tries per request when QuickBooks answers 429 or 5xx or the connection fails."""
    throttled_wait_seconds: float = Field(60.0, ge=0)
    """How long to wait after a 429 (QuickBooks asks for a minute)."""
    timeout_seconds: float = Field(60.0, gt=0)
    push_item: str = "Services"
    """The QuickBooks item (product or service) pushed invoice lines are booked on."""
    webhook_verifier_token: SecretRef | None = None
    """The app's webhook verifier token (developer.intuit.com), for webhook deliveries."""
    cdc_days: int = Field(30, ge=1, le=30)
    """How far back change data capture reaches; an older cursor means a full read."""

    @field_validator("realm_id")
    @classmethod
    def _numeric(cls, value: str) -> str:
        value = value.strip()
        if not value.isdigit():
            raise ValueError("the company id (realm id) is a number, e.g. 9130357766900456")
        return value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        if value in ("production", "sandbox") or value.startswith(("https://", "http://")):
            return value
        raise ValueError('use "production", "sandbox" or the URL of a discovery document')
